/**
 * Connecting to the cluster's nats-server: the URL, authentication (a token file or NATS
 * credentials), TLS, reconnects without end, and the rule that nothing runs unauthenticated off
 * loopback. Connection trouble becomes one line a user can act on; disconnects and reconnects
 * are reported as they happen.
 */
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';

/** How to reach the nats-server (`--cluster`, `--token-file`, `--creds`, `--tls-ca`). */
export interface ClusterConnectConfig {
  /** `nats://HOST:PORT` or `tls://HOST:PORT` (several, comma-separated, for a server cluster). */
  url: string;
  /** File holding the server's authorization token. */
  tokenFile?: string;
  /** NATS credentials file (user JWT and nkey seed). */
  creds?: string;
  /** CA certificate to verify the server's TLS certificate with (turns TLS on). */
  tlsCa?: string;
  /** The client's name the server shows (`nats-server` monitoring). */
  name: string;
  /** One line per connection event (disconnected, reconnected). */
  log: (line: string) => void;
}

/** Bad connection settings or a refused connection: the CLI prints it as one line and exits 2. */
export class ClusterConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterConfigError';
  }
}

/** The server URLs of `url`, each checked to be nats:// or tls:// with a host. */
export function clusterServers(url: string): URL[] {
  const parts = url.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new ClusterConfigError('--cluster: give the nats-server URL, e.g. nats://10.0.0.1:4222');
  return parts.map((s) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new ClusterConfigError(`--cluster: "${s}" is not a URL (expected nats://HOST:PORT)`);
    }
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:') throw new ClusterConfigError(`--cluster: "${s}" is not a nats:// or tls:// URL`);
    if (u.hostname === '') throw new ClusterConfigError(`--cluster: "${s}" names no host`);
    return u;
  });
}

/** Whether `host` (a URL's hostname) is this machine's loopback interface. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The client options for `cfg`: authentication from the token file or credentials (never both),
 * TLS when asked for; no authentication is refused unless every server is on loopback.
 */
export function connectOptions(cfg: ClusterConnectConfig): NodeConnectionOptions {
  const servers = clusterServers(cfg.url);
  if (cfg.tokenFile !== undefined && cfg.creds !== undefined) throw new ClusterConfigError('give --token-file or --creds, not both');
  const remote = servers.filter((u) => !isLoopback(u.hostname));
  if (remote.length > 0 && cfg.tokenFile === undefined && cfg.creds === undefined) {
    throw new ClusterConfigError(`${remote[0]!.host} is not this machine: refusing to run without authentication (give --token-file or --creds; docs/cluster.md)`);
  }
  const opts: NodeConnectionOptions = {
    servers: servers.map((u) => `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || 4222}`),
    name: cfg.name, maxReconnectAttempts: -1, reconnectTimeWait: 500, waitOnFirstConnect: false, pingInterval: 5000, maxPingOut: 3,
  };
  if (cfg.tokenFile !== undefined) {
    const token = readSecret(cfg.tokenFile, '--token-file').trim();
    if (token === '') throw new ClusterConfigError(`--token-file ${cfg.tokenFile} is empty`);
    opts.token = token;
  }
  if (cfg.creds !== undefined) opts.authenticator = credsAuthenticator(new TextEncoder().encode(readSecret(cfg.creds, '--creds')));
  if (cfg.tlsCa !== undefined || servers.some((u) => u.protocol === 'tls:')) {
    if (cfg.tlsCa !== undefined) readSecret(cfg.tlsCa, '--tls-ca');
    opts.tls = { ...(cfg.tlsCa !== undefined ? { caFile: cfg.tlsCa } : {}), ...identityCheck(servers) };
  }
  return opts;
}

/**
 * The server certificate is checked against the host names (or IP addresses) given in the URL:
 * the client library names no host for a server given by address, which Node would check
 * against "localhost".
 */
function identityCheck(servers: URL[]): object {
  const hosts = servers.map((u) => u.hostname.replace(/^\[|\]$/g, ''));
  return {
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      const errors = hosts.map((h) => checkServerIdentity(h, cert));
      return errors.some((e) => e === undefined) ? undefined : errors[0];
    },
  };
}

function readSecret(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ClusterConfigError(`${option} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/**
 * Connects (reconnecting forever once connected) and reports connection events on `cfg.log`.
 * A refused first connection (no server, bad token, TLS failure) is a `ClusterConfigError`
 * naming the server and the reason.
 */
export async function connectCluster(cfg: ClusterConnectConfig, onEvent?: (e: 'disconnect' | 'reconnect') => void): Promise<NatsConnection> {
  const opts = connectOptions(cfg);
  let nc: NatsConnection;
  try {
    nc = await connect(opts);
  } catch (e) {
    throw new ClusterConfigError(`cannot connect to ${cfg.url}: ${refusal(e)}`);
  }
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        cfg.log(`nats: disconnected from ${s.server}; reconnecting`);
        onEvent?.('disconnect');
      } else if (s.type === 'reconnect') {
        cfg.log(`nats: reconnected to ${s.server}`);
        onEvent?.('reconnect');
      } else if (s.type === 'error' && /authori[sz]ation/i.test(String((s as { error?: unknown }).error))) {
        cfg.log(`nats: ${String((s as { error?: unknown }).error)}`);
      }
    }
  })().catch(() => undefined);
  return nc;
}

/** Why a connection failed, in words. */
function refusal(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/authori[sz]ation|auth/i.test(msg)) return `authorization refused (${msg}): check --token-file or --creds`;
  if (/ECONNREFUSED|connection refused/i.test(msg)) return 'connection refused (is nats-server running there?)';
  if (/tls|certificate|self.signed/i.test(msg)) return `TLS failed (${msg}): check --tls-ca`;
  return msg;
}
