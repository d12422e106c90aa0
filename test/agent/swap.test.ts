/**
 * Rehearsal end to end, as on a robot: `sim2real agent` in one process, `sim2real robot` (the
 * simulated pendulum) driving it in another, and a second policy pushed in the middle of the
 * episode. The episode goes on with no missed or repeated step; the telemetry shows one switch of
 * the active version between two steps, every step before it answered by the first policy and
 * every step after by the second; and the return through the agent equals the return of the same
 * simulation run with the first policy up to the switch and the second from it on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { commandsFromOutput } from '../../src/bridge/limits.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import { readRecording, stepLayout } from '../../src/robot/recording.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { runFirstEpisodes } from '../../src/sim/episodes.ts';
import { nominalRanges } from '../../src/task/randomize.ts';
import { getTask } from '../../envs/index.ts';
import { TELEMETRY_CHANNELS } from '../../src/agent/telemetry_layout.ts';
import { lastJson, push, run, scratch, shipped, startAgent, statusWhen, variant, type AgentProcess } from './helpers.ts';

const s = scratch();
const store = path.join(s.dir, 'store');
let agent: AgentProcess | null = null;
afterAll(async () => {
  await agent?.stop();
});

describe('a push in the middle of an episode', () => {
  it('swaps between two control steps: no step missed, each answered by the version active then, the return of the switched run', async () => {
    // the watchdog is not under test here: a generous one, so a CPU shared with other work cannot trip it
    agent = await startAgent(s, 'robots/pendulum.json', store, ['--timeout-ms', '2000']);
    const first = shipped('pendulum');
    const second = variant('pendulum', { outputScale: 0.6 + 0.3 * Math.random() });
    await push(agent.manageUrl, first, s.keys.privateFile, { name: 'pendulum.onnx' });
    const url = (await agent.waitFor(/serving the controller on (ws:\/\/\S+) /))[1]!;
    const seed = 1 + Math.floor(Math.random() * 1000);
    console.log(`seed ${seed}`);
    const robot = run(['robot', '--env', 'pendulum', '--connect', url, '--episodes', '1', '--seed', String(seed), '--no-randomize', '--rate-hz', '100', '--json']);
    // mid-episode: once the agent has answered 100 of the 500 steps
    await statusWhen(agent.manageUrl, (st) => ((st.controller as { steps: number } | null)?.steps ?? 0) >= 100);
    const swap = await push(agent.manageUrl, second, s.keys.privateFile, { name: 'pendulum-b.onnx' });
    expect(swap.activated).toMatchObject({ version: 2, previous: 1, kind: 'activate' });
    const r = await robot.done;
    expect(r.code, r.stderr).toBe(0);
    const result = lastJson(r.stdout);
    expect(result).toMatchObject({ episodes: 1, mean_length: 500, dropped: 0, safe_commands_received: 0, safety_interventions: 0 });
    expect(await agent.stop()).toBe(0);
    agent = null;

    // -- the telemetry: one episode, every step, one switch
    const dir = path.join(store, 'telemetry');
    const files = readdirSync(dir).filter((f) => f.endsWith('.rec'));
    expect(files).toHaveLength(1);
    const rec = readRecording(path.join(dir, files[0]!));
    const ep = rec.episodes.find((e) => e.meta.steps === 500)!;
    expect(ep, `episodes of ${rec.episodes.map((e) => e.meta.steps).join(', ')} steps`).toBeTruthy();
    const L = stepLayout(rec.header), terms = rec.header.rewardTerms;
    const channel = (name: (typeof TELEMETRY_CHANNELS)[number], t: number) => ep.data[t * L.stride + L.terms + terms.indexOf(name)]!;
    const versions = Array.from({ length: 500 }, (_, t) => channel('policy_version', t));
    const k = versions.indexOf(2);
    console.log(`swap at step ${k}`);
    expect(k).toBeGreaterThan(50);
    expect(k).toBeLessThan(500);
    expect(versions.slice(0, k).every((v) => v === 1) && versions.slice(k).every((v) => v === 2)).toBe(true);
    expect(Array.from({ length: 500 }, (_, t) => channel('seq_gap', t)).every((g) => g === 0)).toBe(true);

    // -- each step's raw action is what its version computes from the step's observation
    const [pa, pb] = [await OnnxPolicy.fromBytes(first), await OnnxPolicy.fromBytes(second)];
    const O = rec.header.observations.length;
    let worst = 0;
    for (let t = 0; t < 500; t++) {
      const obs = ep.data.slice(t * L.stride + L.obs, t * L.stride + L.actions);
      const want = Math.max(-1, Math.min(1, (await (t < k ? pa : pb).run(obs))[0]!));
      worst = Math.max(worst, Math.abs(ep.data[t * L.stride + L.actions]! - want));
    }
    expect(worst).toBeLessThan(1e-5);

    // -- the return equals the simulation's with the first policy before step k and the second from it
    const task = getTask('pendulum');
    const group = await EnvGroup.create({ task, numEnvs: 1, firstEnvIndex: 0, seed, dr: nominalRanges() });
    let step = 0;
    try {
      const sim = await runFirstEpisodes(group, async (g) => {
        const p = step++ < k ? pa : pb;
        const y = await p.run(Float32Array.from(g.buffers.obs.subarray(0, O)));
        // the command as it crossed the wire (float32), turned back into a raw action as the robot does
        const c = Math.fround(commandsFromOutput(p.contract, y).command[0]!);
        g.buffers.actions[0] = (c - p.contract.actionOffsets[0]!) / p.contract.actions[0]!.scale;
      });
      console.log(`return through the agent ${result.mean_return}, switched simulation ${sim.mean_return}`);
      expect(Math.abs((result.mean_return as number) - sim.mean_return)).toBeLessThanOrEqual(1e-3 * Math.abs(sim.mean_return) + 1e-3);
    } finally {
      group.dispose();
      await pa.dispose();
      await pb.dispose();
    }
  }, 120_000);
});
