/**
 * Proximal Policy Optimization (Schulman et al. 2017) in rsl_rl's shape: the runner calls four
 * verbs — `act`, `processEnvStep`, `computeReturns`, `update` — and everything numeric goes
 * through the backend, so the same loop runs on the CPU reference and on the GPU. Randomness
 * (action noise, minibatch shuffles) comes from the host `Rng`, so a run replays exactly.
 */
import { PPO_LOSS_STATS, PpoLossStat, type Backend, type IndexTensor, type Tensor } from '../backend/backend.ts';
import type { Rng } from '../task/rng.ts';
import { ActorCritic } from './actor_critic.ts';
import { Adam } from './adam.ts';
import { NORM_EPS, ObsNormalizer, RewardScaler } from './normalizer.ts';
import { minibatchesPerEpoch, type PpoConfig } from './ppo_config.ts';
import type { ActorWeights, PpoDims, PpoState, UpdateStats } from './ppo_types.ts';
import { RolloutStorage } from './rollout_storage.ts';
import { LrSchedule } from './schedule.ts';

export type { ActorWeights, PpoDims, PpoState, UpdateStats } from './ppo_types.ts';
export type { PpoConfig } from './ppo_config.ts';

/** Per-minibatch statistics row: the loss stats, then the pre-clip gradient norm. */
const ROW = PPO_LOSS_STATS + 1;
const GRAD_NORM = PPO_LOSS_STATS;

/** Minibatch tensors gathered from the rollout. */
interface Minibatch {
  obs: Tensor;
  actions: Tensor;
  logProb: Tensor;
  values: Tensor;
  advantages: Tensor;
  returns: Tensor;
  gradMean: Tensor;
  gradValue: Tensor;
  /** The critic's own observations (an asymmetric critic only). */
  criticObs?: Tensor;
}

/** An asymmetric critic's input side: its observation statistics and upload buffers. */
interface CriticInput {
  readonly dim: number;
  readonly normalizer: ObsNormalizer;
  readonly raw: Tensor;
  readonly norm: Tensor;
}

/** The PPO learner: rollout storage, actor-critic, optimizer and normalizer behind rsl_rl's four verbs. */
export class PPO {
  readonly ac: ActorCritic;
  readonly storage: RolloutStorage;
  readonly normalizer: ObsNormalizer;
  private readonly adam: Adam;
  private readonly schedule: LrSchedule;
  private readonly rewardScaler: RewardScaler | null;
  private iteration = 0;
  // -- scratch
  private readonly rawObs: Tensor;
  private readonly normObs: Tensor;
  private readonly noise: Tensor;
  private readonly noiseHost: Float32Array;
  private readonly lastValues: Tensor;
  private readonly rewardHost: Float32Array;
  private readonly doneHost: Float32Array;
  private readonly doneBytes: Uint8Array;
  private readonly perm: IndexTensor;
  private readonly permHost: Uint32Array;
  private readonly mb: Minibatch;
  private readonly mbSize: number;
  private readonly mbPerEpoch: number;
  /** [epochs·minibatches rows of ROW] + log-std [actDim] + non-finite parameter count [1]: one download per update. */
  private readonly stats: Tensor;
  /** Input tensors of `actDeterministic`, per batch size. */
  private readonly evalIo = new Map<number, { raw: Tensor; norm: Tensor }>();
  /** The critic's own observations when it has some (`PpoDims.criticObsDim`), else null: it sees the actor's. */
  private readonly critic: CriticInput | null;

  constructor(readonly backend: Backend, readonly dims: PpoDims, readonly cfg: PpoConfig, readonly rng: Rng) {
    const { obsDim, actDim, numEnvs } = dims;
    if (numEnvs !== cfg.num_envs) throw new Error(`PPO: ${numEnvs} envs given but num_envs is ${cfg.num_envs}`);
    const b = backend;
    const criticObsDim = dims.criticObsDim;
    this.ac = new ActorCritic(b, {
      obsDim, ...(criticObsDim !== undefined ? { criticObsDim } : {}), actDim, actorHidden: cfg.actor_hidden, criticHidden: cfg.critic_hidden, activation: cfg.activation, initLogStd: cfg.init_log_std,
    });
    this.ac.initialize(rng);
    this.adam = new Adam(b, this.ac.params, this.ac.grads, cfg.adam_eps);
    this.schedule = new LrSchedule(cfg.lr_schedule, cfg.learning_rate, cfg.total_iterations, cfg.desired_kl);
    this.normalizer = new ObsNormalizer(b, obsDim, cfg.obs_clip, cfg.normalize_obs);
    this.rewardScaler = cfg.reward_scaling ? new RewardScaler(numEnvs, cfg.gamma) : null;
    this.storage = new RolloutStorage(b, cfg.num_steps, numEnvs, obsDim, actDim, criticObsDim);
    this.critic = criticObsDim === undefined ? null : {
      dim: criticObsDim, normalizer: new ObsNormalizer(b, criticObsDim, cfg.obs_clip, cfg.normalize_obs),
      raw: b.tensor([numEnvs, criticObsDim]), norm: b.tensor([numEnvs, criticObsDim]),
    };
    this.rawObs = b.tensor([numEnvs, obsDim]);
    this.normObs = b.tensor([numEnvs, obsDim]);
    this.noise = b.tensor([numEnvs, actDim]);
    this.noiseHost = new Float32Array(numEnvs * actDim);
    this.lastValues = b.tensor([numEnvs]);
    this.rewardHost = new Float32Array(numEnvs);
    this.doneHost = new Float32Array(numEnvs);
    this.doneBytes = new Uint8Array(numEnvs);
    this.perm = b.indexTensor(this.storage.size);
    this.permHost = new Uint32Array(this.storage.size);
    this.mbSize = cfg.minibatch_size;
    this.mbPerEpoch = minibatchesPerEpoch(cfg);
    const M = this.mbSize;
    this.mb = {
      obs: b.tensor([M, obsDim]), actions: b.tensor([M, actDim]), logProb: b.tensor([M]), values: b.tensor([M]),
      advantages: b.tensor([M]), returns: b.tensor([M]), gradMean: b.tensor([M, actDim]), gradValue: b.tensor([M, 1]),
      ...(criticObsDim !== undefined ? { criticObs: b.tensor([M, criticObsDim]) } : {}),
    };
    this.stats = b.tensor([cfg.num_epochs * this.mbPerEpoch * ROW + actDim + 1]);
  }

  /** Updates completed so far. */
  get iterations(): number {
    return this.iteration;
  }

  // -- rollout

  /**
   * Samples actions [N, actDim] (unclipped) for observations [N, obsDim], updating the
   * observation statistics and recording obs, actions, log-probs and values for the update.
   * An asymmetric critic takes its values from `criticObs` [N, criticObsDim].
   */
  async act(obs: Float32Array, criticObs?: Float32Array): Promise<Float32Array> {
    const step = this.storage.beginAct();
    this.uploadObs(obs, 'act');
    this.normalizer.update(this.rawObs);
    this.normalizer.apply(this.rawObs, step.obs);
    const mean = this.ac.actorForward(step.obs, this.dims.numEnvs);
    const c = this.critic;
    if (c) {
      this.uploadCriticObs(criticObs, 'act');
      c.normalizer.update(c.raw);
      c.normalizer.apply(c.raw, step.criticObs!);
    }
    this.backend.copy(this.ac.criticForward(c ? step.criticObs! : step.obs, this.dims.numEnvs), step.values);
    for (let i = 0; i < this.noiseHost.length; i++) this.noiseHost[i] = this.rng.normal();
    this.backend.upload(this.noise, this.noiseHost);
    this.backend.gaussianSample(mean, this.ac.logStd, this.noise, step.actions);
    this.backend.gaussianLogProb(mean, this.ac.logStd, step.actions, step.logProb);
    return this.backend.download(step.actions);
  }

  /** The policy mean for observations [B, obsDim] (any B), statistics frozen: for evaluation. */
  async actDeterministic(obs: Float32Array): Promise<Float32Array> {
    const rows = obs.length / this.dims.obsDim;
    if (!Number.isInteger(rows) || rows < 1) throw new Error(`actDeterministic: ${obs.length} values is not a whole number of ${this.dims.obsDim}-wide rows`);
    let io = this.evalIo.get(rows);
    if (!io) this.evalIo.set(rows, (io = { raw: this.backend.tensor([rows, this.dims.obsDim]), norm: this.backend.tensor([rows, this.dims.obsDim]) }));
    this.backend.upload(io.raw, obs);
    this.normalizer.apply(io.raw, io.norm);
    return this.backend.download(this.ac.actorForward(io.norm, rows));
  }

  /**
   * Records the env step that followed `act`: rewards [N] (scaled when `reward_scaling`), plus
   * γ·V(terminalObs) for truncated envs (time-out bootstrapping; an asymmetric critic's V of
   * `terminalCriticObs`); done = terminated ∨ truncated.
   */
  async processEnvStep(rewards: Float32Array, terminated: Uint8Array, truncated: Uint8Array, terminalObs: Float32Array, terminalCriticObs?: Float32Array): Promise<void> {
    const n = this.dims.numEnvs;
    if (rewards.length !== n || terminated.length !== n || truncated.length !== n) {
      throw new Error(`processEnvStep: expected ${n} rewards and flags, got ${rewards.length}/${terminated.length}/${truncated.length}`);
    }
    const step = this.storage.beginEnvStep();
    const r = this.rewardHost, d = this.doneBytes;
    let anyTruncated = false;
    for (let i = 0; i < n; i++) {
      r[i] = rewards[i]!;
      d[i] = terminated[i] || truncated[i] ? 1 : 0;
      this.doneHost[i] = d[i]!;
      if (truncated[i] && !terminated[i]) anyTruncated = true;
    }
    this.rewardScaler?.scale(r, d);
    if (anyTruncated) {
      const v = await this.valuesOf(terminalObs, terminalCriticObs);
      for (let i = 0; i < n; i++) if (truncated[i] && !terminated[i]) r[i] = r[i]! + this.cfg.gamma * v[i]!;
    }
    this.backend.upload(step.rewards, r);
    this.backend.upload(step.dones, this.doneHost);
  }

  /** GAE(λ) advantages and value targets of the full rollout, bootstrapped from V(lastObs) (an asymmetric critic: V(lastCriticObs)). */
  async computeReturns(lastObs: Float32Array, lastCriticObs?: Float32Array): Promise<void> {
    this.storage.beginReturns();
    const c = this.critic;
    if (c) {
      this.uploadCriticObs(lastCriticObs, 'computeReturns');
      c.normalizer.apply(c.raw, c.norm);
    } else {
      this.uploadObs(lastObs, 'computeReturns');
      this.normalizer.apply(this.rawObs, this.normObs);
    }
    this.backend.copy(this.ac.criticForward(c ? c.norm : this.normObs, this.dims.numEnvs), this.lastValues);
    const s = this.storage.data;
    this.backend.gae(
      { rewards: s.rewards, values: s.values, dones: s.dones, lastValues: this.lastValues, advantages: s.advantages, returns: s.returns },
      this.cfg.gamma, this.cfg.gae_lambda,
    );
    if (this.cfg.advantage_norm === 'batch') this.backend.standardize(s.advantages, NORM_EPS);
  }

  // -- update

  /**
   * num_epochs passes of shuffled minibatches over the rollout: clipped surrogate, (clipped)
   * value loss, entropy bonus, global grad-norm clipping, Adam, log-std clamped into bounds.
   * A non-finite loss or parameter rolls the whole update back (`nonfinite: true`).
   */
  async update(): Promise<UpdateStats> {
    this.storage.assertReady();
    const b = this.backend, cfg = this.cfg, s = this.storage.data;
    const explainedVariance = explainedVarianceOf(await b.download(s.values), await b.download(s.returns));
    this.adam.snapshot();
    const savedLr = this.schedule.getState();
    let lr = this.schedule.beginIteration(this.iteration);
    let row = 0;
    for (let epoch = 0; epoch < cfg.num_epochs; epoch++) {
      this.shuffle();
      for (let k = 0; k < this.mbPerEpoch; k++, row++) {
        const stats = b.view(this.stats, row * ROW, [ROW]);
        this.gather(b.indexView(this.perm, k * this.mbSize, this.mbSize));
        this.lossAndGradients(stats);
        if (cfg.lr_schedule === 'adaptive') lr = this.schedule.observeKl((await b.download(stats))[PpoLossStat.approxKl]!);
        b.clipGradNorm(this.ac.grads, cfg.max_grad_norm, b.view(stats, GRAD_NORM, [1]));
        this.adam.step(lr);
        b.clamp(this.ac.logStd, cfg.log_std_min, cfg.log_std_max);
      }
    }
    // -- one readback: per-minibatch stats, log-std, non-finite parameter count
    const A = this.dims.actDim, tail = row * ROW;
    b.copy(this.ac.logStd, b.view(this.stats, tail, [A]));
    b.countNonFinite(this.ac.params, b.view(this.stats, tail + A, [1]));
    const host = await b.download(this.stats);
    const mean = (slot: number) => {
      let sum = 0;
      for (let r = 0; r < row; r++) sum += host[r * ROW + slot]!;
      return sum / row;
    };
    let actionStd = 0;
    for (let j = 0; j < A; j++) actionStd += Math.exp(host[tail + j]!) / A;
    const out: UpdateStats = {
      policy_loss: mean(PpoLossStat.policyLoss), value_loss: mean(PpoLossStat.valueLoss), entropy: mean(PpoLossStat.entropy),
      approx_kl: mean(PpoLossStat.approxKl), clipfrac: mean(PpoLossStat.clipFrac), explained_variance: explainedVariance,
      learning_rate: lr, action_std: actionStd, grad_norm: mean(GRAD_NORM), nonfinite: false,
    };
    let finite = host[tail + A] === 0;
    for (let i = 0; i < tail; i++) if (!Number.isFinite(host[i]!)) finite = false;
    if (!finite) {
      this.adam.restore();
      this.schedule.setState(savedLr);
      out.nonfinite = true;
      out.learning_rate = this.schedule.current;
    }
    this.iteration++;
    this.storage.clear();
    return out;
  }

  /** Forward both networks on the minibatch, the fused loss, and backprop into the flat gradient buffer. */
  private lossAndGradients(stats: Tensor): void {
    const b = this.backend, mb = this.mb, M = this.mbSize, cfg = this.cfg;
    if (cfg.advantage_norm === 'minibatch') b.standardize(mb.advantages, NORM_EPS);
    const mean = this.ac.actorForward(mb.obs, M);
    const value = this.ac.criticForward(mb.criticObs ?? mb.obs, M);
    b.ppoLoss(
      { mean, logStd: this.ac.logStd, value, actions: mb.actions, oldLogProb: mb.logProb, oldValue: mb.values, advantages: mb.advantages, returns: mb.returns },
      { clip: cfg.clip_coef, clipValue: cfg.clip_value_loss, valueCoef: cfg.value_coef, entropyCoef: cfg.entropy_coef },
      { gradMean: mb.gradMean, gradLogStd: this.ac.gradLogStd, gradValue: mb.gradValue, stats: b.view(stats, 0, [PPO_LOSS_STATS]) },
    );
    this.ac.actor.backward(mb.gradMean, M);
    this.ac.critic.backward(mb.gradValue, M);
  }

  private gather(index: IndexTensor): void {
    const b = this.backend, s = this.storage.data, mb = this.mb;
    b.gatherRows(s.obs, index, mb.obs);
    b.gatherRows(s.actions, index, mb.actions);
    b.gatherRows(s.logProb, index, mb.logProb);
    b.gatherRows(s.values, index, mb.values);
    b.gatherRows(s.advantages, index, mb.advantages);
    b.gatherRows(s.returns, index, mb.returns);
    if (s.criticObs && mb.criticObs) b.gatherRows(s.criticObs, index, mb.criticObs);
  }

  /** A fresh Fisher–Yates permutation of the rollout's rows from the Rng, uploaded. */
  private shuffle(): void {
    const p = this.permHost;
    for (let i = 0; i < p.length; i++) p[i] = i;
    for (let i = p.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng.next() * (i + 1));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    this.backend.uploadIndices(this.perm, p);
  }

  // -- helpers

  /** Uploads N observation rows into `rawObs`, rejecting wrong sizes and non-finite values. */
  private uploadObs(obs: Float32Array, where: string): void {
    const D = this.dims.obsDim;
    if (obs.length !== this.dims.numEnvs * D) throw new Error(`${where}: expected ${this.dims.numEnvs}×${D} observations, got ${obs.length} values`);
    for (let i = 0; i < obs.length; i++) {
      if (!Number.isFinite(obs[i]!)) throw new Error(`${where}: observation ${i % D} of env ${Math.floor(i / D)} is ${obs[i]}`);
    }
    this.backend.upload(this.rawObs, obs);
  }

  /** Uploads N critic observation rows into the critic's `raw` (an asymmetric critic must be given them). */
  private uploadCriticObs(obs: Float32Array | undefined, where: string): void {
    const c = this.critic!, D = c.dim;
    if (!obs || obs.length !== this.dims.numEnvs * D) throw new Error(`${where}: expected ${this.dims.numEnvs}×${D} critic observations, got ${obs ? obs.length : 'none'}`);
    for (let i = 0; i < obs.length; i++) {
      if (!Number.isFinite(obs[i]!)) throw new Error(`${where}: critic observation ${i % D} of env ${Math.floor(i / D)} is ${obs[i]}`);
    }
    this.backend.upload(c.raw, obs);
  }

  /** V of N raw observation rows (the critic's own, when it has them), statistics frozen (non-finite rows give non-finite values). */
  private async valuesOf(obs: Float32Array, criticObs?: Float32Array): Promise<Float32Array> {
    const c = this.critic;
    if (c) {
      if (!criticObs || criticObs.length !== this.dims.numEnvs * c.dim) throw new Error(`processEnvStep: expected ${this.dims.numEnvs}×${c.dim} terminal critic observations`);
      this.backend.upload(c.raw, criticObs);
      c.normalizer.apply(c.raw, c.norm);
      return this.backend.download(this.ac.criticForward(c.norm, this.dims.numEnvs));
    }
    this.backend.upload(this.rawObs, obs);
    this.normalizer.apply(this.rawObs, this.normObs);
    return this.backend.download(this.ac.criticForward(this.normObs, this.dims.numEnvs));
  }

  // -- state

  /** Everything needed to continue bit for bit; call between iterations (the rollout buffer is not saved). */
  async getState(): Promise<PpoState> {
    return {
      format: 'sim2real-ppo', version: 1, dims: { ...this.dims },
      params: await this.backend.download(this.ac.params), adam: await this.adam.getState(),
      obsNormalizer: await this.normalizer.getState(),
      ...(this.critic ? { criticObsNormalizer: await this.critic.normalizer.getState() } : {}),
      rewardScaler: this.rewardScaler?.getState() ?? null,
      learningRate: this.schedule.current, iteration: this.iteration, rng: this.rng.getState(),
    };
  }

  /** Restores a `getState` result; throws when it was made for other sizes or settings. */
  setState(s: PpoState): void {
    if (s.format !== 'sim2real-ppo' || s.version !== 1) throw new Error(`PPO state: unsupported format ${String(s.format)} v${String(s.version)}`);
    const d = this.dims;
    if (s.dims.obsDim !== d.obsDim || s.dims.actDim !== d.actDim || s.dims.numEnvs !== d.numEnvs) {
      throw new Error(`PPO state is for obs ${s.dims.obsDim}, act ${s.dims.actDim}, ${s.dims.numEnvs} envs; this trainer has ${d.obsDim}, ${d.actDim}, ${d.numEnvs}`);
    }
    if (s.dims.criticObsDim !== d.criticObsDim) throw new Error(`PPO state has critic observations ${s.dims.criticObsDim ?? 'none'}; this trainer has ${d.criticObsDim ?? 'none'}`);
    if (s.params.length !== this.ac.numParams) throw new Error(`PPO state has ${s.params.length} parameters, the network has ${this.ac.numParams} (different hidden sizes?)`);
    if ((s.rewardScaler === null) !== (this.rewardScaler === null)) throw new Error('PPO state: reward_scaling differs from the config');
    this.backend.upload(this.ac.params, s.params);
    this.adam.setState(s.adam);
    this.normalizer.setState(s.obsNormalizer);
    if (this.critic && s.criticObsNormalizer) this.critic.normalizer.setState(s.criticObsNormalizer);
    if (s.rewardScaler) this.rewardScaler?.setState(s.rewardScaler);
    this.schedule.setState({ lr: s.learningRate });
    this.iteration = s.iteration;
    this.rng.setState(s.rng);
    this.storage.clear();
  }

  /** Warm start (`--init-from`): network weights and observation statistics only; optimizer, schedule and counters stay fresh. */
  loadWeights(s: Pick<PpoState, 'params' | 'obsNormalizer' | 'criticObsNormalizer'>): void {
    if (s.params.length !== this.ac.numParams) throw new Error(`weights have ${s.params.length} parameters, the network has ${this.ac.numParams} (different hidden sizes?)`);
    this.backend.upload(this.ac.params, s.params);
    this.normalizer.setState(s.obsNormalizer);
    if (this.critic && s.criticObsNormalizer) this.critic.normalizer.setState(s.criticObsNormalizer);
  }

  /** The deterministic policy's weights and normalizer, for the ONNX exporter. */
  async actorWeights(): Promise<ActorWeights> {
    const params = await this.backend.download(this.ac.params);
    const layers = this.ac.actor.layers.map((l) => ({
      inDim: l.inDim, outDim: l.outDim,
      weight: params.slice(l.wOffset, l.wOffset + l.inDim * l.outDim), bias: params.slice(l.bOffset, l.bOffset + l.outDim),
    }));
    const norm = await this.normalizer.getState();
    return {
      activation: this.cfg.activation, layers,
      logStd: params.slice(this.ac.logStdOffset, this.ac.logStdOffset + this.dims.actDim),
      obsNormalizer: this.cfg.normalize_obs ? { mean: norm.mean, var: norm.var, eps: NORM_EPS, clip: this.cfg.obs_clip } : null,
    };
  }
}

/** 1 − Var(y − ŷ)/Var(y) (CleanRL); NaN when y is constant. */
function explainedVarianceOf(pred: Float32Array, target: Float32Array): number {
  const n = target.length;
  let my = 0, md = 0;
  for (let i = 0; i < n; i++) {
    my += target[i]! / n;
    md += (target[i]! - pred[i]!) / n;
  }
  let vy = 0, vd = 0;
  for (let i = 0; i < n; i++) {
    vy += (target[i]! - my) ** 2;
    vd += (target[i]! - pred[i]! - md) ** 2;
  }
  return vy === 0 ? NaN : 1 - vd / vy;
}
