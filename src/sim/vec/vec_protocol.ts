/** Messages between the vec env and its worker threads (structured-clone plain objects). */
import type { EnvBuffers, EnvDims, EnvGroupStats } from '../env_group.ts';
import type { EnvGroupState } from '../env_state.ts';
import type { DomainRandomization } from '../../task/randomize.ts';
import type { TaskLocation } from '../../task/task_registry.ts';

/** What a worker is started with (`workerData.init`). */
export interface WorkerInit {
  /** The module a worker loads its task from. */
  task: TaskLocation;
  numEnvs: number;
  /** Global index of the worker's first env (its seeds and RNG streams). */
  firstEnvIndex: number;
  /** The worker's first row in `buffers`. */
  bufferRow: number;
  seed: number;
  dr: DomainRandomization;
  /** The whole vec env's shared buffers; the worker uses rows [bufferRow, +numEnvs). */
  buffers: EnvBuffers;
  dims: EnvDims;
}

/**
 * A command to a worker; the parent tags it with a request id. `save` answers with the group's
 * state (its typed arrays transferred, not copied); `load` carries one (copied, so the
 * caller's state stays usable).
 */
export type WorkerCommand =
  | { cmd: 'step' }
  | { cmd: 'reset' }
  | { cmd: 'raw'; steps: number }
  | { cmd: 'stats' }
  | { cmd: 'save' }
  | { cmd: 'load'; state: EnvGroupState };
export type WorkerRequest = WorkerCommand & { id: number };

export type WorkerReply =
  | { id: number; type: 'ready' }
  | { id: number; type: 'done'; seconds?: number; stats?: EnvGroupStats; state?: EnvGroupState }
  | { id: number; type: 'error'; message: string; envIndex: number | null };
