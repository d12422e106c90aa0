/**
 * The simulated robot controller behind `sim2real robot`: runs a task in Rapier (or MuJoCo, to
 * rehearse the deployment against dynamics the policy never trained on) as if it were the real
 * robot — one bridge connection per env, its own dynamics and clock — sends each env's
 * observation over the network and applies the motor commands that come back. Envs are seeded
 * and episodes counted exactly as `evaluatePolicy` does, so the return through the bridge is
 * comparable with `sim2real eval --policy` on the same seed. It needs the simulator, so it
 * lives outside `src/bridge/` (whose deploy path loads no Rapier) and reaches the bridge only
 * through its client, as a real robot would.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvGroup, type AnyEnvGroup } from '../sim/env_group.ts';
import { RAPIER_ENGINE } from '../sim/rapier_scene.ts';
import type { PhysicsEngine } from '../sim/physics_scene.ts';
import { runFirstEpisodes, type EpisodeStats } from '../sim/episodes.ts';
import { SessionRecorder } from './session_recorder.ts';
import type { DomainRandomization } from '../task/randomize.ts';
import type { TaskSpec } from '../task/task.ts';
import { BridgeClient, type Reply } from '../bridge/client.ts';
import type { Encoding, PolicyInfo, SafetyCounters } from '../bridge/protocol.ts';
import { percentile } from '../bridge/stats.ts';

/** What to rehearse. */
export interface RehearsalOptions {
  url: string;
  task: TaskSpec;
  episodes: number;
  seed: number;
  /** Randomization ranges from the policy's trained ranges (`dr_ranges` of the welcome). */
  resolveDr: (trained: Record<string, [number, number]>) => DomainRandomization;
  /** Control rate of the simulated robots (Hz); 0 runs as fast as replies come. */
  rateHz: number | null;
  encoding: Encoding;
  token?: string;
  ca?: Buffer;
  /** Called after every control step with the episodes finished so far. */
  onProgress?: (done: number, total: number) => void;
  /** The physics engine of the simulated robots (default Rapier). */
  engine?: PhysicsEngine;
  /** Record each env's first episode to this file, with the state `sim2real calibrate` replays from (`session_recorder.ts`). */
  record?: { file: string; source: string };
}

/** Return and latency statistics. */
export interface RehearsalResult extends EpisodeStats {
  steps: number;
  rate_hz: number | null;
  /** Observation sent → reply received, at the robot (ms). */
  latency_ms_p50: number;
  latency_ms_p99: number;
  latency_ms_max: number;
  /** Policy + safety time inside the bridge (ms). */
  bridge_ms_p50: number;
  /** Observations that got no reply in time, or an error. */
  dropped: number;
  /** Sum of the bridge's safety counters over this robot's connections. */
  safety_interventions: number;
  /** Safe commands that reached the simulated robots (answers and unsolicited ones). */
  safe_commands_received: number;
  safety: SafetyCounters;
  dr: DomainRandomization;
}

/** Runs `episodes` envs (one bridge connection each) until each has finished one episode. */
export async function runRehearsal(o: RehearsalOptions): Promise<RehearsalResult> {
  const names = o.task.observations.map((s) => s.name);
  const clients: BridgeClient[] = [];
  try {
    for (let i = 0; i < o.episodes; i++) {
      clients.push(await BridgeClient.connect(o.url, { observations: names, encoding: o.encoding, client: `sim2real-robot/${o.task.name}#${i}`, ...(o.token ? { token: o.token } : {}), ...(o.ca ? { ca: o.ca } : {}) }));
    }
    const info = clients[0]!.welcome.policy;
    if (info.task !== o.task.name) throw new Error(`the bridge serves a policy for task ${info.task}, not ${o.task.name}`);
    const dr = o.resolveDr(info.dr_ranges);
    const group = await EnvGroup.create({ task: o.task, numEnvs: o.episodes, firstEnvIndex: 0, seed: o.seed, dr }, o.engine ?? RAPIER_ENGINE);
    const commands = new Float32Array(o.episodes * info.act_dim);
    const recorder = o.record ? new SessionRecorder(o.task, o.record.file, o.record.source, commands) : null;
    try {
      return await drive(o, group, clients, info, dr, commands, recorder);
    } finally {
      group.dispose();
      recorder?.close();
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

async function drive(o: RehearsalOptions, group: AnyEnvGroup, clients: BridgeClient[], info: PolicyInfo, dr: DomainRandomization, commands: Float32Array, recorder: SessionRecorder | null): Promise<RehearsalResult> {
  const n = o.episodes, D = info.obs_dim;
  const rtts: number[] = [], bridgeMs: number[] = [];
  let steps = 0, dropped = 0, safeReceived = 0;
  for (const c of clients) c.on('safe', () => safeReceived++);
  const periodMs = o.rateHz ? 1000 / o.rateHz : 0;
  const start = performance.now();
  const joints = { pos: new Float64Array(info.act_dim), vel: new Float64Array(info.act_dim) };
  const act = async (g: AnyEnvGroup) => {
    const t = performance.now();
    const replies = await Promise.all(clients.map((c, i) => c.request(g.buffers.obs.subarray(i * D, (i + 1) * D), t - start)));
    replies.forEach((r, i) => {
      rtts.push(r.rttMs);
      if (r.kind === 'action') bridgeMs.push(r.latencyMs);
      if (r.kind === 'safe') safeReceived++;
      if (r.kind === 'error' || r.kind === 'timeout') dropped++;
      writeAction(r, i, g, info, joints);
      if (r.kind === 'action') commands.set(r.command.slice(0, info.act_dim), i * info.act_dim);
      else for (let k = 0; k < info.act_dim; k++) commands[i * info.act_dim + k] = g.buffers.actions[i * info.act_dim + k]! * info.actions[k]!.scale + info.action_offsets[k]!;
    });
  };
  const stats = await runFirstEpisodes(group, act, {
    ...(recorder ? { onStart: (g: AnyEnvGroup) => recorder.onStart(g), beforeStep: (g: AnyEnvGroup, c: Uint8Array) => recorder.beforeStep(g, c), onEpisodeEnd: (g: AnyEnvGroup, i: number) => recorder.onEpisodeEnd(g, i) } : {}),
    afterStep: async (g, counting, done) => {
      recorder?.afterStep(g, counting);
      steps++;
      o.onProgress?.(done, n);
      if (periodMs > 0) {
        const wait = start + steps * periodMs - performance.now();
        if (wait > 0) await sleep(wait);
      }
    },
  });
  const safety = await sumStatus(clients);
  const interventions = Object.values(safety).reduce((a, c) => a + c, 0);
  return {
    ...stats, steps, rate_hz: o.rateHz || null,
    latency_ms_p50: percentile(rtts, 0.5), latency_ms_p99: percentile(rtts, 0.99), latency_ms_max: Math.max(...rtts),
    bridge_ms_p50: percentile(bridgeMs, 0.5), dropped,
    safety_interventions: interventions, safe_commands_received: safeReceived, safety, dr,
  };
}

/**
 * Env `i`'s raw action for a reply: an action's commands converted back ((command − offset) /
 * scale, which the env re-clips and re-scales), or the safe command — hold the default pose
 * (raw 0 under position control) or damp (effort −kd·q̇ under effort control). Without a
 * usable reply the robot also falls back to the safe command.
 */
function writeAction(r: Reply, i: number, group: AnyEnvGroup, info: PolicyInfo, joints: { pos: Float64Array; vel: Float64Array }): void {
  const A = info.act_dim, out = group.buffers.actions;
  if (r.kind === 'action') {
    for (let k = 0; k < A; k++) out[i * A + k] = (r.command[k]! - info.action_offsets[k]!) / info.actions[k]!.scale;
    return;
  }
  const safe = info.safe_command;
  group.robot(i).readJoints(joints.pos, joints.vel);
  for (let k = 0; k < A; k++) {
    const scale = info.actions[k]!.scale;
    const hold = (safe.command[k]! - info.action_offsets[k]!) / scale;
    out[i * A + k] = info.control_mode === 'effort' && safe.type === 'damping' ? (safe.command[k]! - safe.kd * joints.vel[k]!) / scale : hold;
  }
}

async function sumStatus(clients: BridgeClient[]): Promise<SafetyCounters> {
  const sum: SafetyCounters = { rejected_obs: 0, stale_obs: 0, clamped_commands: 0, rate_limited_commands: 0, watchdog_trips: 0, estops: 0, safe_commands: 0 };
  for (const s of await Promise.all(clients.map((c) => c.status()))) {
    for (const k of Object.keys(sum) as (keyof SafetyCounters)[]) sum[k] += s.interventions[k];
  }
  return sum;
}
