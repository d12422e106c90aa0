/**
 * `sim2real agent`: the process on the robot computer that serves the robot's controller from
 * locally run policies (the bridge's protocols and safety layer) and takes signed pushes on its
 * own management port, until Ctrl-C or SIGTERM (systemd).
 */
import { Command } from 'commander';
import path from 'node:path';
import { Agent } from '../agent/agent.ts';
import { DEFAULT_ROLLBACK_RULE } from '../agent/rollback_guard.ts';
import { isLoopback } from '../bridge/auth.ts';
import { HEARTBEAT_MS_RANGE, TIMEOUT_MS_RANGE } from '../bridge/timer_ranges.ts';
import { asUsageAsync, nonNegativeInt, nonNegativeNumber, positiveInt, say, UsageError } from './common.ts';
import { msInRange, parseListen, readFileOption, readToken, TOKEN_ENV, warnIfShared } from './net_options.ts';

interface AgentOpts {
  robot: string;
  store: string;
  listen: string;
  manage: string;
  tokenFile?: string;
  controllerTokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  trust: string[];
  rosbridge?: boolean;
  timeoutMs?: number;
  heartbeatMs: number;
  maxPolicyMb: number;
  uploadTimeoutS: number;
  keep: number;
  rollbackWindowS: number;
  rollbackAfter: number;
  telemetry?: string;
  telemetryMaxMb: number;
}

/** The `agent` command. */
export function agentCommand(): Command {
  return new Command('agent')
    .description('Run policies on the robot computer: serve the robot\'s controller locally (bridge protocols, safety layer) and take signed policies from sim2real push on an authenticated management port: verify, store, shadow, swap between two control steps, roll back; record every control step.')
    .requiredOption('--robot <json>', 'the robot this computer drives: robots/NAME.json')
    .requiredOption('--store <dir>', 'policy store (versions, the active one, history; created if missing)')
    .option('--listen <host:port>', 'where the controller connects (anything but loopback needs --controller-token-file)', '127.0.0.1:9090')
    .option('--manage <host:port>', 'management port for sim2real push (anything but loopback needs --tls-cert/--tls-key)', '127.0.0.1:9091')
    .option('--token-file <file>', `management token (first line, at least 8 characters); without it the environment variable ${TOKEN_ENV}`)
    .option('--controller-token-file <file>', 'token controllers must present on --listen (first line)')
    .option('--tls-cert <pem>', 'TLS certificate for the management port: wss:// (with --tls-key)')
    .option('--tls-key <pem>', 'TLS private key')
    .option('--trust <key.pub>', 'public key whose signed policies are accepted (repeatable; sim2real keys makes them)', collect, [])
    .option('--rosbridge', 'also accept rosbridge v2 controllers on --listen')
    .option('--timeout-ms <ms>', `watchdog: safe command after this long without a valid observation (default 3 control periods; ${TIMEOUT_MS_RANGE.min}–${TIMEOUT_MS_RANGE.max})`, msInRange('--timeout-ms', TIMEOUT_MS_RANGE))
    .option('--heartbeat-ms <ms>', `controller ping interval (${HEARTBEAT_MS_RANGE.min}–${HEARTBEAT_MS_RANGE.max})`, msInRange('--heartbeat-ms', HEARTBEAT_MS_RANGE), 5000)
    .option('--max-policy-mb <n>', 'largest policy file a push may send (1–1024)', positiveInt('--max-policy-mb', 1024), 64)
    .option('--upload-timeout-s <s>', 'a push whose file has not arrived whole after this long is dropped (1–3600)', positiveInt('--upload-timeout-s', 3600), 60)
    .option('--keep <n>', 'versions kept in the store (the oldest inactive ones go first; 2–1000)', positiveIntFrom(2, 1000, '--keep'), 20)
    .option('--rollback-window-s <s>', 'automatic rollback watches a new version this long (0: off)', nonNegativeNumber('--rollback-window-s'), DEFAULT_ROLLBACK_RULE.windowS)
    .option('--rollback-after <n>', 'roll back when the safety layer steps in for a new version more than this many times within the window', nonNegativeInt('--rollback-after'), DEFAULT_ROLLBACK_RULE.maxTrips)
    .option('--telemetry <dir>', 'where every control step is recorded (default STORE/telemetry)')
    .option('--telemetry-max-mb <n>', 'disk the telemetry may use; the oldest files go first (0: record nothing)', nonNegativeInt('--telemetry-max-mb'), 512)
    .addHelpText('after', [
      '\nExamples:',
      '  sim2real agent --robot robots/a1.json --store /var/lib/sim2real --token-file /etc/sim2real/token --trust /etc/sim2real/trusted/laptop.pub',
      '  sim2real agent --robot robots/cartpole.json --store ./store --listen 127.0.0.1:9090 --manage 0.0.0.0:9091 \\',
      '    --token-file token --tls-cert cert.pem --tls-key key.pem --trust keys/key.pub',
      '\nInstalling it under systemd, the management protocol, every fault: docs/agent.md',
    ].join('\n'))
    .action(async (o: AgentOpts) => {
      const listen = parseListen(o.listen, '--listen'), manage = parseListen(o.manage, '--manage');
      const token = readToken({ ...(o.tokenFile ? { tokenFile: o.tokenFile } : {}) }, 'agent');
      if (!token) throw new UsageError(`the management port needs a token: --token-file FILE (or ${TOKEN_ENV})`);
      const controllerToken = o.controllerTokenFile ? readToken({ tokenFile: o.controllerTokenFile }, 'agent') : null;
      if (!isLoopback(listen.host) && !controllerToken) throw new UsageError(`--listen ${o.listen} is not loopback: controllers there must present a token (--controller-token-file FILE)`);
      if (!o.tlsCert !== !o.tlsKey) throw new UsageError('--tls-cert and --tls-key go together');
      if (o.tlsKey) warnIfShared(o.tlsKey, 'agent', '--tls-key');
      const tls = o.tlsCert && o.tlsKey ? { cert: readFileOption(o.tlsCert, '--tls-cert'), key: readFileOption(o.tlsKey, '--tls-key') } : null;
      if (o.trust.length === 0) say('sim2real agent: warning: no --trust key: every push will be refused until the agent is restarted with one');
      const agent = await asUsageAsync(() => Agent.start({
        robot: o.robot, store: o.store, listen, controllerToken, rosbridge: !!o.rosbridge, manage, token, tls, trust: o.trust,
        ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), heartbeatMs: o.heartbeatMs,
        maxPolicyBytes: o.maxPolicyMb * 1024 * 1024, uploadTimeoutMs: o.uploadTimeoutS * 1000, keep: o.keep,
        rollback: { windowS: o.rollbackWindowS, maxTrips: o.rollbackAfter },
        telemetry: o.telemetryMaxMb > 0 ? { dir: path.resolve(o.telemetry ?? path.join(o.store, 'telemetry')), maxBytes: o.telemetryMaxMb * 1024 * 1024 } : null,
        log: (line) => say(`[agent] ${line}`),
      }));
      const serving = agent.controllerUrl ? `controller ${agent.controllerUrl} (${agent.running !== null ? `version ${agent.running}` : 'the safe command'})` : `controller ${o.listen} opens with the first activated policy`;
      say(`sim2real agent: robot ${agent.spec.name}; ${serving}; management ${agent.manage.url}; store ${path.resolve(o.store)} (${agent.store.list().length} versions); trusted keys: ${o.trust.length}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      say('sim2real agent: stopping (writing out telemetry)');
      await agent.close();
    });
}

function collect(v: string, previous: string[]): string[] {
  return [...previous, v];
}

function positiveIntFrom(min: number, max: number, name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name}: expected an integer from ${min} to ${max}, got "${v}"`);
    return n;
  };
}
