/**
 * `sim2real deploy`: serves an ONNX policy to robot controllers over WebSocket (native protocol
 * v1, optionally rosbridge v2) behind the safety layer, until Ctrl-C.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { describeDeployment, startDeployment } from '../bridge/deploy.ts';
import { asUsageAsync, positiveInt, say, UsageError } from './common.ts';

interface DeployOpts {
  policy: string;
  robot?: string;
  listen: string;
  token?: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  rosbridge?: boolean;
  timeoutMs?: number;
  heartbeatMs: number;
}

/** The `deploy` command. */
export function deployCommand(): Command {
  return new Command('deploy')
    .description('Serve an ONNX policy to robot controllers over WebSocket (docs/bridge-protocol.md), with the safety layer: observation checks, command limits, watchdog, e-stop.')
    .requiredOption('--policy <file>', 'ONNX policy (sim2real export)')
    .option('--robot <json>', 'robot description robots/NAME.json (default: the robot the policy names)')
    .option('--listen <host:port>', 'address to listen on; anything but loopback needs --token', '127.0.0.1:9090')
    .option('--token <t>', 'require this token (Authorization: Bearer <t> or ?token=<t>)')
    .option('--token-file <file>', 'read the token from a file (first line)')
    .option('--tls-cert <pem>', 'TLS certificate: serve wss:// (with --tls-key)')
    .option('--tls-key <pem>', 'TLS private key')
    .option('--rosbridge', 'also accept rosbridge v2 clients (roslibjs) on the same port')
    .option('--timeout-ms <ms>', 'watchdog: safe command after this long without a valid observation (default 3 control periods)', positiveInt('--timeout-ms'))
    .option('--heartbeat-ms <ms>', 'ping interval; peers that miss a ping are dropped', positiveInt('--heartbeat-ms'), 5000)
    .addHelpText('after', [
      '\nExamples:',
      '  sim2real deploy --policy policies/cartpole.onnx',
      '  sim2real deploy --policy policies/cartpole.onnx --listen 127.0.0.1:0 --rosbridge',
      '  sim2real deploy --policy a1.onnx --listen 0.0.0.0:9090 --token-file ~/.sim2real-token --tls-cert cert.pem --tls-key key.pem',
    ].join('\n'))
    .action(async (o: DeployOpts) => {
      const { host, port } = parseListen(o.listen);
      const token = readToken(o);
      if (!o.tlsCert !== !o.tlsKey) throw new UsageError('--tls-cert and --tls-key go together');
      const tls = o.tlsCert && o.tlsKey ? { cert: readFile(o.tlsCert, '--tls-cert'), key: readFile(o.tlsKey, '--tls-key') } : null;
      const d = await asUsageAsync(() => startDeployment({
        policyFile: o.policy, host, port, token, tls, rosbridge: !!o.rosbridge, heartbeatMs: o.heartbeatMs,
        ...(o.robot ? { robot: o.robot } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
        log: (line) => say(`[deploy] ${line}`),
      }));
      say(`sim2real deploy: ${describeDeployment(d, o.policy)}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      const s = d.server.stats();
      say(`sim2real deploy: stopping after ${s.connections} connections (${s.refused} refused); safety interventions ${JSON.stringify(s.interventions)}`);
      await d.close();
    });
}

/** `host:port`, `[v6]:port` or a bare port. */
function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) throw new UsageError(`--listen ${text}: expected host:port (e.g. 127.0.0.1:9090)`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

function readToken(o: DeployOpts): string | null {
  if (o.token && o.tokenFile) throw new UsageError('give --token or --token-file, not both');
  if (o.tokenFile) return readFile(o.tokenFile, '--token-file').toString('utf8').split('\n')[0]!.trim();
  return o.token ?? null;
}

function readFile(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new UsageError(`${option} ${file}: file not found or unreadable`);
  }
}
