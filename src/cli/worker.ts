/** `sim2real worker`: a rollout host for `sim2real train --cluster` (docs/cluster.md). */
import { Command } from 'commander';
// the built-in tasks, which a learner names
import '../../envs/index.ts';
import { RolloutHost } from '../cluster/host.ts';
import { asUsageAsync, nonNegativeNumber, positiveInt, say, UsageError } from './common.ts';
import { addClusterAuthOptions, clusterConnection, clusterVersion, type ClusterOpts } from './cluster_options.ts';
import { MAX_WORKERS } from './limits.ts';

/** The options of `sim2real worker`, as commander parses them. */
interface WorkerOpts extends ClusterOpts {
  workers: number;
  name?: string;
  learnerTimeout: number;
}

export function workerCommand(): Command {
  const cmd = new Command('worker')
    .description('Serve as a rollout host: step the env groups a learner (sim2real train --cluster) assigns, on this machine\'s cores, run after run, until Ctrl-C.')
    .option('--cluster <url>', 'the nats-server of the cluster (nats://HOST:4222, tls://HOST:4222)')
    .option('--workers <n>', `worker threads to offer (at most ${MAX_WORKERS}): this host's fair share is that many env groups`, positiveInt('--workers', MAX_WORKERS), 1)
    .option('--name <name>', 'the name the learner logs for this host (default: host name and process id)')
    .option('--learner-timeout <s>', 'a learner silent this many seconds is taken for gone: its env groups are dropped', nonNegativeNumber('--learner-timeout'), 5);
  return addClusterAuthOptions(cmd, '')
    .addHelpText('after', '\nExamples:\n  sim2real worker --cluster nats://10.0.0.1:4222 --token-file ~/.sim2real/token --workers 16\n  sim2real worker --cluster tls://learner.lab:4222 --creds host.creds --tls-ca ca.pem --name rack3\n\nThe host needs the learner\'s sim2real version and task files; tasks are looked up by name, never sent.')
    .action(async (o: WorkerOpts) => {
      const connection = clusterConnection(o);
      if (o.learnerTimeout <= 0) throw new UsageError('--learner-timeout: expected a number of seconds above 0');
      const host = new RolloutHost({
        connection, workers: o.workers, ...(o.name !== undefined ? { name: o.name } : {}), version: clusterVersion(), learnerTimeoutMs: o.learnerTimeout * 1000, log: say,
      });
      await asUsageAsync(() => host.start());
      let interrupts = 0;
      const stop = () => {
        if (++interrupts > 1) process.exit(130);
        say(`host ${host.name}: stopping (Ctrl-C again to quit now)`);
        void host.close();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      const why = await host.closedPromise();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (why instanceof Error && interrupts === 0) throw new Error(`host ${host.name}: connection closed: ${why.message}`);
      say(`host ${host.name}: stopped`);
    });
}
