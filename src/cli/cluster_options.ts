/**
 * The options `sim2real train --cluster` and `sim2real worker` share: where the nats-server is
 * and how to authenticate to it (docs/cluster.md), checked before anything connects.
 */
import type { Command } from 'commander';
import { clusterServers, connectOptions, type ClusterConnectConfig } from '../cluster/connection.ts';
import { sourceInfo } from '../rl/source_info.ts';
import { asUsage, UsageError } from './common.ts';

/** The shared options as commander parses them. */
export interface ClusterOpts {
  cluster?: string;
  tokenFile?: string;
  creds?: string;
  tlsCa?: string;
}

/** Adds `--token-file`, `--creds` and `--tls-ca` (the URL option is each command's own). */
export function addClusterAuthOptions(cmd: Command, prefix: string): Command {
  return cmd
    .option('--token-file <file>', `${prefix}file holding the nats-server's authorization token`)
    .option('--creds <file>', `${prefix}NATS credentials file (user JWT and nkey seed) instead of a token`)
    .option('--tls-ca <file>', `${prefix}CA certificate to verify the nats-server's TLS certificate (turns TLS on)`);
}

/** The connection settings of `o` (which must name `--cluster`), checked: bad URLs, missing files, no auth off loopback are usage errors. */
export function clusterConnection(o: ClusterOpts): Omit<ClusterConnectConfig, 'name' | 'log'> {
  if (o.cluster === undefined) throw new UsageError('--cluster is required (the nats-server URL, e.g. nats://10.0.0.1:4222)');
  const cfg = {
    url: o.cluster, ...(o.tokenFile !== undefined ? { tokenFile: o.tokenFile } : {}), ...(o.creds !== undefined ? { creds: o.creds } : {}),
    ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}),
  };
  asUsage(() => {
    clusterServers(cfg.url);
    connectOptions({ ...cfg, name: 'check', log: () => undefined });
  });
  return cfg;
}

/** Throws when cluster-only options are given without `--cluster`. */
export function checkClusterOnly(o: ClusterOpts & Record<string, unknown>, only: string[]): void {
  if (o.cluster !== undefined) return;
  const given = only.filter((k) => o[k] !== undefined);
  if (given.length > 0) throw new UsageError(`${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} only go${given.length === 1 ? 'es' : ''} with --cluster`);
}

/** The sim2real version hosts and learner compare. */
export function clusterVersion(): string {
  return sourceInfo().packageVersion;
}
