/**
 * The body of one vec-env worker thread: builds an `EnvGroup` over its slice of the shared
 * buffers and answers the parent's commands (`reset`, `step`, `raw`, `stats`, `save`, `load`)
 * one at a time. Errors are reported with the env index they came from; the parent decides to
 * restart.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EnvGroup, EnvError, sliceBuffers } from '../env_group.ts';
import { loadTask } from '../../task/task_registry.ts';
import { transferList } from '../env_state.ts';
import type { WorkerInit, WorkerReply, WorkerRequest } from './vec_protocol.ts';

const init = workerData.init as WorkerInit;
const port = parentPort;
if (!port) throw new Error('vec_worker.ts must run in a worker thread');

const reply = (m: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const fail = (id: number, e: unknown) =>
  reply({ id, type: 'error', message: e instanceof Error ? e.message : String(e), envIndex: e instanceof EnvError ? e.envIndex : null });

let group: EnvGroup;
try {
  const task = await loadTask(init.task);
  const buffers = sliceBuffers(init.buffers, init.bufferRow, init.numEnvs, init.dims);
  group = await EnvGroup.create({ task, numEnvs: init.numEnvs, firstEnvIndex: init.firstEnvIndex, seed: init.seed, dr: init.dr, buffers });
  reply({ id: 0, type: 'ready' });
} catch (e) {
  fail(0, e);
  process.exit(1);
}

port.on('message', (m: WorkerRequest) => {
  try {
    if (m.cmd === 'step') {
      group.step();
      reply({ id: m.id, type: 'done' });
    } else if (m.cmd === 'reset') {
      group.resetAll();
      reply({ id: m.id, type: 'done' });
    } else if (m.cmd === 'raw') {
      const t0 = performance.now();
      group.stepPhysicsOnly(m.steps);
      reply({ id: m.id, type: 'done', seconds: (performance.now() - t0) / 1000 });
    } else if (m.cmd === 'stats') {
      reply({ id: m.id, type: 'done', stats: { ...group.stats } });
    } else if (m.cmd === 'save') {
      const state = group.saveState();
      reply({ id: m.id, type: 'done', state }, transferList(state));
    } else if (m.cmd === 'load') {
      group.loadState(m.state);
      reply({ id: m.id, type: 'done' });
    }
  } catch (e) {
    fail(m.id, e);
  }
});
