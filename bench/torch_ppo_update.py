#!/usr/bin/env python3
"""PyTorch-eager reference for `npm run bench:train`: one PPO update of the same shape and the
same algorithm as sim2real's trainer (rsl_rl's update: separate actor and critic MLPs, Gaussian
policy with state-independent log-std, clipped surrogate, value loss, entropy bonus, global
grad-norm clip, Adam), fp32 with TF32 off, timed with CUDA synchronisation. Prints one JSON line,
naming on the CPU the thread count and the BLAS library and kernel it ran (OpenBLAS picks its
kernels at load time: `OPENBLAS_CORETYPE` in the environment overrides its choice).

  python3 bench/torch_ppo_update.py --shape quadruped [--repeats 5] [--device cuda] [--threads 1]
"""
import argparse
import json
import sys
import time

SHAPES = {
    # obs, act, hidden, activation, envs, steps, epochs, minibatches
    "legged_gym": (48, 12, [512, 256, 128], "elu", 4096, 24, 5, 4),
    "quadruped": (48, 12, [128, 64, 32], "elu", 512, 24, 5, 4),
    "cartpole": (4, 1, [64, 64], "tanh", 16, 128, 10, 8),
}


def mlp(torch, sizes, act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ELU() if act == "elu" else torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def blas_info():
    """The BLAS behind torch's CPU matmuls when it is OpenBLAS: its kernel (core) name and build."""
    import ctypes
    for name in ("libopenblas.so.0", "libblas.so.3"):
        try:
            lib = ctypes.CDLL(name)
            core, config = lib.openblas_get_corename, lib.openblas_get_config
        except (OSError, AttributeError):
            continue
        core.restype = config.restype = ctypes.c_char_p
        return lib, f"{config().decode()}, kernel {core().decode()}"
    return None, "not OpenBLAS (torch's own or MKL)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="legged_gym", choices=sorted(SHAPES))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--device", default=None)
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (torch and OpenBLAS)")
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        print(json.dumps({"bench": "torch_ppo_update", "error": "PyTorch is not installed"}))
        return 3
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(a.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    blas_lib, blas = blas_info()
    if a.threads:
        torch.set_num_threads(a.threads)
        if blas_lib is not None:
            blas_lib.openblas_set_num_threads(a.threads)
    obs_dim, act_dim, hidden, act, envs, steps, epochs, mbs = SHAPES[a.shape]
    n = envs * steps
    mb = n // mbs
    actor = mlp(torch, [obs_dim, *hidden, act_dim], act).to(dev)
    critic = mlp(torch, [obs_dim, *hidden, 1], act).to(dev)
    log_std = torch.nn.Parameter(torch.zeros(act_dim, device=dev))
    params = [*actor.parameters(), *critic.parameters(), log_std]
    opt = torch.optim.Adam(params, lr=1e-3, eps=1e-8)
    g = torch.Generator(device=dev).manual_seed(1)
    obs = torch.randn(n, obs_dim, device=dev, generator=g)
    with torch.no_grad():
        mean0 = actor(obs)
        actions = mean0 + torch.randn(n, act_dim, device=dev, generator=g)
        old_logp = torch.distributions.Normal(mean0, log_std.exp()).log_prob(actions).sum(-1)
        old_v = critic(obs).squeeze(-1)
    adv = torch.randn(n, device=dev, generator=g)
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    ret = old_v + adv

    def update():
        for _ in range(epochs):
            perm = torch.randperm(n, device=dev, generator=g)
            for k in range(mbs):
                idx = perm[k * mb:(k + 1) * mb]
                o, ac, lp0, a_, r_ = obs[idx], actions[idx], old_logp[idx], adv[idx], ret[idx]
                dist = torch.distributions.Normal(actor(o), log_std.exp())
                lp = dist.log_prob(ac).sum(-1)
                ratio = torch.exp(lp - lp0)
                pl = -torch.min(ratio * a_, torch.clamp(ratio, 0.8, 1.2) * a_).mean()
                vl = (critic(o).squeeze(-1) - r_).pow(2).mean()
                ent = dist.entropy().sum(-1).mean()
                loss = pl + 0.5 * vl - 0.0 * ent
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 0.5)
                opt.step()
                with torch.no_grad():
                    kl = ((ratio - 1) - torch.log(ratio)).mean()  # logged like the trainer's approx_kl
        return kl.item()  # one readback per update, as the trainer does

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    update()
    sync()
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        update()
        sync()
        times.append(time.perf_counter() - t0)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    best = min(times)
    mean = sum(times) / len(times)
    print(json.dumps({"bench": "torch_ppo_update", "shape": a.shape, "device": name, "torch": torch.__version__,
                      "samples": mb * mbs, "epochs": epochs, "minibatches": mbs,
                      "update_s_mean": mean, "update_s_best": best, "tf32": False,
                      "threads": torch.get_num_threads(), "blas": blas if dev.type == "cpu" else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
