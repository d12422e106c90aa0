/**
 * Shadow, activation and rollback on a running agent with the simulated cartpole driving it: a
 * candidate run in shadow is compared with the active version without reaching a motor; a stored
 * version is activated and rolled back by hand; a version that trips the safety layer right after
 * its activation is rolled back automatically — and the robot misses no step through any of it.
 * The telemetry of the session reads back as a recording `sim2real view --replay` plays, with the
 * version that answered each step and the commands the safety layer let through.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PushRefused } from '../../src/agent/manage_client.ts';
import { readRecording, stepLayout } from '../../src/robot/recording.ts';
import { lastJson, push, run, scratch, shipped, startAgent, statusWhen, variant, withClient, type AgentProcess } from './helpers.ts';

const s = scratch();
const store = path.join(s.dir, 'store');
let agent: AgentProcess | null = null;
afterAll(async () => {
  await agent?.stop();
});

async function refusedCode(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'accepted', (e: unknown) => (e instanceof PushRefused ? e.code : String(e)));
}

describe('shadow, activation and rollback', () => {
  it('shadows, activates, rolls back by hand and on its own, and records it all', async () => {
    agent = await startAgent(s, 'robots/cartpole.json', store, ['--timeout-ms', '2000', '--rollback-window-s', '5', '--rollback-after', '10']);
    const url0 = agent.manageUrl;
    await push(url0, shipped('cartpole'), s.keys.privateFile, { name: 'cartpole.onnx' });
    const url = (await agent.waitFor(/serving the controller on (ws:\/\/\S+) /))[1]!;
    const robot = run(['robot', '--env', 'cartpole', '--connect', url, '--episodes', '1', '--rate-hz', '50', '--json']); // 10 s
    await statusWhen(url0, (st) => ((st.controller as { steps: number } | null)?.steps ?? 0) >= 20);

    // -- shadow: compared, never sent
    const shadowed = await push(url0, variant('cartpole', { outputScale: 0.5 }), s.keys.privateFile, { name: 'half.onnx', shadowS: 0.5, activate: false });
    expect(shadowed.activated).toBeNull();
    const sh = shadowed.shadow!;
    expect(sh.version).toBe(2);
    expect(sh.steps).toBeGreaterThan(5);
    expect(sh.errors).toBe(0);
    expect(sh.joints[0]!.name).toBe('slider');
    expect(sh.joints[0]!.max_abs_diff).toBeGreaterThan(0);
    expect(sh.joints[0]!.mean_abs_diff).toBeLessThanOrEqual(sh.joints[0]!.max_abs_diff);
    expect(sh.would_intervene).toBe(0);
    expect((await withClient(url0, (c) => c.status())).running).toBe(1);

    // -- by hand: another stored version, then back
    const steps = async () => ((await withClient(url0, (c) => c.status())).controller as { steps: number }).steps;
    await withClient(url0, async (c) => {
      expect(await c.activate(2)).toMatchObject({ version: 2, previous: 1, kind: 'activate' });
      const since = await steps();
      await statusWhen(url0, (st) => (st.controller as { steps: number }).steps >= since + 3); // a few steps on version 2
      expect(await c.rollback()).toMatchObject({ version: 1, previous: 2, kind: 'rollback' });
      expect(await refusedCode(c.rollback())).toBe('no_previous');
      expect(await refusedCode(c.activate(99))).toBe('no_version');
    });

    // -- on its own: a version whose commands the safety layer keeps clamping
    const wild = variant('cartpole', { outputScale: 20, metadata: { postprocess_baked: 'true' } });
    const pushed = await push(url0, wild, s.keys.privateFile, { name: 'wild.onnx' });
    expect(pushed.activated).toMatchObject({ version: 3, previous: 1 });
    await agent.waitFor(/AUTOMATIC ROLLBACK to version 1 .*version 3 tripped the safety layer 11 times/);
    const st = await withClient(url0, (c) => c.status());
    expect(st).toMatchObject({ active: 1, running: 1 });
    expect((st.history as { kind: string; version: number; from: number }[]).at(-1)).toMatchObject({ kind: 'auto_rollback', version: 1, from: 3 });
    expect((st.last_interventions as { version: number; what: string }[]).some((i) => i.version === 3 && i.what === 'command limited')).toBe(true);
    expect(robot.proc.exitCode, 'the robot was still running through all of it').toBeNull();

    const r = await robot.done;
    expect(r.code, r.stderr).toBe(0);
    const res = lastJson(r.stdout);
    expect(res).toMatchObject({ episodes: 1, dropped: 0, safe_commands_received: 0 });
    expect((res.safety as { clamped_commands: number }).clamped_commands).toBeGreaterThan(10);
    expect(await agent.stop()).toBe(0);
    agent = null;

    // -- the telemetry: every step, the version that answered it, what the safety layer did
    const dir = path.join(store, 'telemetry');
    const files = readdirSync(dir).filter((f) => f.endsWith('.rec'));
    expect(files.length).toBeGreaterThan(0);
    const rec = readRecording(path.join(dir, files[0]!));
    expect(rec.header).toMatchObject({ robot: 'cartpole', task: 'cartpole', observations: ['cart_pos', 'cart_vel', 'pole_angle', 'pole_angvel'], actions: ['slider_force'] });
    expect(rec.header.rewardTerms).toEqual(['command.slider', 'latency_ms', 'limited', 'safe_reason', 'policy_version', 'robot_t_ms', 'seq_gap']);
    const L = stepLayout(rec.header), T = rec.header.rewardTerms;
    const rows = rec.episodes.flatMap((e) => Array.from({ length: e.meta.steps }, (_, t) => e.data.subarray(t * L.stride, (t + 1) * L.stride)));
    expect(rows.length).toBe(res.steps);
    const term = (row: Float32Array, name: string) => row[L.terms + T.indexOf(name)]!;
    expect(new Set(rows.map((row) => term(row, 'policy_version')))).toEqual(new Set([1, 2, 3]));
    expect(rows.filter((row) => term(row, 'limited') === 1).every((row) => term(row, 'policy_version') === 3)).toBe(true);
    expect(rows.every((row) => Math.abs(term(row, 'command.slider')) <= 10)).toBe(true);
    // the cart's body is drawn where the observed cart position puts it
    const cartBody = rec.header.scene.bodies.findIndex((b) => b.joint?.name === 'slider');
    const worst = Math.max(...rows.map((row) => Math.abs(row[7 * cartBody]! - rows[0]![7 * cartBody]! - (row[L.obs]! - rows[0]![L.obs]!))));
    expect(worst).toBeLessThan(1e-5);

    // -- and the viewer plays it
    const view = run(['view', '--replay', path.join(dir, files[0]!), '--port', '0']);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      view.proc.stderr!.on('data', (d: Buffer) => {
        err += String(d);
        if (/http:\/\/127\.0\.0\.1:\d+/.test(err)) resolve();
      });
      view.proc.once('exit', (code) => reject(new Error(`view exited ${code}: ${err}`)));
    });
    view.proc.kill('SIGINT');
    await view.done;
  }, 120_000);
});
