/**
 * `sim2real deploy`: serves an ONNX policy to robot controllers over WebSocket (native protocol
 * v1, optionally rosbridge v2) behind the safety layer, until Ctrl-C.
 */
import { Command, Option } from 'commander';
import { DEFAULT_MAX_CONNECTIONS, MAX_CONNECTIONS_LIMIT, parseAllowedOrigin } from '../bridge/access.ts';
import { describeDeployment, startDeployment } from '../bridge/deploy.ts';
import { HEARTBEAT_MS_RANGE, TIMEOUT_MS_RANGE } from '../bridge/timer_ranges.ts';
import { asUsage, asUsageAsync, say, UsageError } from './common.ts';
import { msInRange, parseListen, readFileOption, readToken, TOKEN_ENV } from './net_options.ts';

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
  allowOrigin: string[];
  maxConnections: number;
}

/** The `deploy` command. */
export function deployCommand(): Command {
  return new Command('deploy')
    .description('Serve an ONNX policy to robot controllers over WebSocket (docs/bridge-protocol.md), with the safety layer: observation checks, command limits, watchdog, e-stop.')
    .requiredOption('--policy <file>', 'ONNX policy (sim2real export)')
    .option('--robot <json>', 'robot description robots/NAME.json (default: the robot the policy names)')
    .option('--listen <host:port>', 'address to listen on; anything but loopback needs --token', '127.0.0.1:9090')
    .option('--token <t>', `require this token (Authorization: Bearer <t> or ?token=<t>); it shows in the process list: prefer --token-file or ${TOKEN_ENV}`)
    .option('--token-file <file>', `read the token from a file (first line); without --token or --token-file the environment variable ${TOKEN_ENV} is used when set`)
    .option('--tls-cert <pem>', 'TLS certificate: serve wss:// (with --tls-key)')
    .option('--tls-key <pem>', 'TLS private key')
    .option('--rosbridge', 'also accept rosbridge v2 clients (roslibjs) on the same port')
    .option('--timeout-ms <ms>', `watchdog: safe command after this long without a valid observation (default 3 control periods; ${TIMEOUT_MS_RANGE.min}–${TIMEOUT_MS_RANGE.max})`, msInRange('--timeout-ms', TIMEOUT_MS_RANGE))
    .option('--heartbeat-ms <ms>', `ping interval; peers that miss a ping are dropped (${HEARTBEAT_MS_RANGE.min}–${HEARTBEAT_MS_RANGE.max})`, msInRange('--heartbeat-ms', HEARTBEAT_MS_RANGE), 5000)
    .addOption(new Option('--allow-origin <origin>', 'let browser pages from this origin connect (e.g. https://ops.example:8443; repeatable); requests with any other Origin header get 403').argParser(collectOrigin).default([], 'none'))
    .option('--max-connections <n>', `open connections at most; more are refused with 503 (1–${MAX_CONNECTIONS_LIMIT})`, maxConnections, DEFAULT_MAX_CONNECTIONS)
    .addHelpText('after', [
      '\nExamples:',
      '  sim2real deploy --policy policies/cartpole.onnx',
      '  sim2real deploy --policy policies/cartpole.onnx --listen 127.0.0.1:0 --rosbridge',
      '  sim2real deploy --policy a1.onnx --listen 0.0.0.0:9090 --token-file ~/.sim2real-token --tls-cert cert.pem --tls-key key.pem',
      '  SIM2REAL_TOKEN=$(cat ~/.sim2real-token) sim2real deploy --policy a1.onnx --listen 0.0.0.0:9090 --allow-origin https://ops.example',
      '\nLimits, and how to run the bridge off loopback safely: docs/security.md',
    ].join('\n'))
    .action(async (o: DeployOpts) => {
      const { host, port } = parseListen(o.listen);
      const token = readToken(o, 'deploy');
      if (!o.tlsCert !== !o.tlsKey) throw new UsageError('--tls-cert and --tls-key go together');
      const tls = o.tlsCert && o.tlsKey ? { cert: readFileOption(o.tlsCert, '--tls-cert'), key: readFileOption(o.tlsKey, '--tls-key') } : null;
      const d = await asUsageAsync(() => startDeployment({
        policyFile: o.policy, host, port, token, tls, rosbridge: !!o.rosbridge, heartbeatMs: o.heartbeatMs,
        allowOrigins: o.allowOrigin, maxConnections: o.maxConnections,
        ...(o.robot ? { robot: o.robot } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
        log: (line) => say(`[deploy] ${line}`),
      }));
      say(`sim2real deploy: ${describeDeployment(d, o.policy)}; at most ${o.maxConnections} connections; browser origins: ${o.allowOrigin.length ? o.allowOrigin.join(', ') : 'none'}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      const s = d.server.stats();
      say(`sim2real deploy: stopping after ${s.connections} connections (${s.refused} refused); safety interventions ${JSON.stringify(s.interventions)}; traffic ${JSON.stringify(s.traffic)}${s.estop ? `; e-stop still latched (${s.estop.reason}, ${s.estop.at})` : ''}`);
      await d.close();
    });
}

function maxConnections(v: string): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONNECTIONS_LIMIT) throw new UsageError(`--max-connections must be an integer from 1 to ${MAX_CONNECTIONS_LIMIT}, got "${v}"`);
  return n;
}

function collectOrigin(v: string, previous: string[]): string[] {
  return [...previous, asUsage(() => parseAllowedOrigin(v))];
}
