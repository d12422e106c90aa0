/**
 * The `push` and `agent` command lines: one clear line and exit 2 for what the user can fix, a
 * refused push exits 1 naming the agent's reason, and `push --status --json` prints the status.
 */
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { lastJson, run, scratch, startAgent, type AgentProcess } from './helpers.ts';

const s = scratch();
let agent: AgentProcess | null = null;
afterAll(async () => {
  await agent?.stop();
});

describe('sim2real push and agent on the command line', () => {
  it('usage errors are one line and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['push', '--to', 'ws://127.0.0.1:1', '--token-file', s.tokenFile], /exactly one of: a policy file, --rollback, --to-version V, --status/],
      [['push', 'policies/cartpole.onnx', '--rollback', '--to', 'ws://127.0.0.1:1', '--token-file', s.tokenFile], /exactly one of/],
      [['push', 'policies/cartpole.onnx', '--to', 'ws://127.0.0.1:1', '--token-file', s.tokenFile], /a push is signed: give --key/],
      [['push', '--status', '--activate', '--to', 'ws://127.0.0.1:1', '--token-file', s.tokenFile], /go with a policy file/],
      [['push', 'policies/cartpole.onnx', '--key', s.keys.privateFile, '--to', 'ws://192.0.2.1:9091', '--token-file', s.tokenFile], /ws:\/\/ is for loopback only/],
      [['push', '--status', '--to', 'ws://127.0.0.1:9'], /needs its management token/],
      [['agent', '--robot', 'robots/cartpole.json', '--store', path.join(s.dir, 'x'), '--token-file', s.tokenFile, '--keep', '1'], /--keep: expected an integer from 2 to 1000/],
      [['agent', '--robot', 'robots/nope.json', '--store', path.join(s.dir, 'x'), '--token-file', s.tokenFile], /robot spec .*nope\.json not found/],
    ];
    for (const [args, re] of cases) {
      const r = await run(args).done;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n').at(-1), args.join(' ')).toMatch(re);
    }
  }, 60_000);

  it('a refused push exits 1 with the reason; --status --json prints the status', async () => {
    agent = await startAgent(s, 'robots/cartpole.json', path.join(s.dir, 'store'));
    const to = ['--to', agent.manageUrl, '--token-file', s.tokenFile];
    const refused = await run(['push', 'policies/reacher.onnx', '--key', s.keys.privateFile, '--activate', ...to]).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/push of policies\/reacher\.onnx refused \(contract_mismatch\): reacher\.onnx does not fit robot cartpole/);
    const pushed = await run(['push', 'policies/cartpole.onnx', '--key', s.keys.privateFile, '--activate', '--json', ...to]).done;
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(lastJson(pushed.stdout)).toMatchObject({ version: 1, task: 'cartpole', activated: { version: 1, previous: null } });
    const status = await run(['push', '--status', '--json', ...to]).done;
    expect(status.code, status.stderr).toBe(0);
    expect(lastJson(status.stdout)).toMatchObject({ robot: 'cartpole', active: 1, running: 1, previous: null, versions: [{ version: 1, name: 'cartpole.onnx', task: 'cartpole' }] });
    expect(status.stderr).toMatch(/agent for robot cartpole: up .* serving version 1/);
    const back = await run(['push', '--rollback', ...to]).done;
    expect(back.code).toBe(1);
    expect(back.stderr).toMatch(/refused \(no_previous\)/);
  }, 60_000);
});
