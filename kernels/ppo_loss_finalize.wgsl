// ppo_loss_finalize: minibatch means from the column sums of ppo_loss's terms, the entropy of
// the state-independent Gaussian, and ∂L/∂logσ with the entropy bonus. One invocation per slot.
const HALF_LOG_2PI_E: f32 = 1.4189385332046727;
struct Params { A: u32, m_f: f32, entropy_coef: f32, sums_off: u32, log_std_off: u32, stats_off: u32, grad_log_std_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> sums: array<f32>;
@group(0) @binding(2) var<storage, read> log_std: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_log_std: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  if (t < p.A) {
    grad_log_std[p.grad_log_std_off + t] = sums[p.sums_off + 4u + t] - p.entropy_coef;
  } else if (t == p.A) {
    var entropy = 0.0;
    for (var j = 0u; j < p.A; j++) { entropy = entropy + (log_std[p.log_std_off + j] + HALF_LOG_2PI_E); }
    let s = p.stats_off;
    stats[s] = sums[p.sums_off] / p.m_f;
    stats[s + 1u] = sums[p.sums_off + 1u] / p.m_f;
    stats[s + 2u] = entropy;
    stats[s + 3u] = sums[p.sums_off + 2u] / p.m_f;
    stats[s + 4u] = sums[p.sums_off + 3u] / p.m_f;
  }
}
