/**
 * onnxruntime's CPU kernels (MLAS) as the CPU backend reaches them: the synchronous session
 * object of `onnxruntime-node`'s native binding, loaded on demand. The package's public
 * `InferenceSession.run` is asynchronous (it defers the call with `setImmediate`), which would
 * make every backend op a promise; the binding underneath runs synchronously on the calling
 * thread (plus onnxruntime's own intra-op threads), which is what the `Backend` ops are. Input
 * tensors are handed over without a copy (onnxruntime wraps the Float32Array's memory) and
 * outputs are written straight into the caller's arrays (preallocated fetches). Only the CPU
 * binaries shipped inside the npm package are used (`.npmrc` skips the install script that
 * would download CUDA ones).
 *
 * The binding (`onnxruntime-node/dist/binding.js`) is not part of the package's documented API,
 * so this file is the one place that knows its shape; `loadOrtRuntime` checks that shape and
 * fails with one line when it differs (the CPU backend then falls back to its TypeScript loops).
 */
import { createRequire } from 'node:module';

/** A tensor as the binding reads it: dims, element type and a typed array over its memory. */
export interface OrtTensor {
  type: 'float32' | 'int32';
  dims: number[];
  location: 'cpu';
  data: Float32Array | Int32Array;
}

/** A loaded model: runs it synchronously, writing every output into the array fetched for it. */
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor>): void;
  /** Frees the session and its thread pool (idempotent). */
  dispose(): void;
}

/** The loaded runtime. */
export interface OrtRuntime {
  /** `onnxruntime-node` version, for logs. */
  readonly version: string;
  /** A session for an ONNX model running on `threads` threads (the calling thread included). */
  createSession(model: Uint8Array, threads: number): OrtSession;
}

/** What the binding's session object offers (see onnxruntime's js/node/src/inference_session_wrap.cc). */
interface BindingSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: object, fetches: object, options: object): unknown;
  dispose(): void;
}

interface BindingModule {
  binding: { InferenceSession: new () => BindingSession };
  initOrt: () => void;
}

/**
 * Session options: sequential execution on a private pool of `threads` threads, and only fatal
 * messages on stderr (a failed run throws with the message anyway). The pool's threads spin
 * while a run lasts (a graph's nodes follow each other within microseconds; waking sleeping
 * threads for each node cost ~10% of a 2-thread PPO update) and stop spinning when the run
 * returns (`force_spinning_stop`): between runs the caller does its own work, and between
 * updates the env workers need those cores (spinning throughout made a 2-thread update 3× slower
 * on the 2-core development machine).
 */
function sessionOptions(threads: number): object {
  return {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 4,
    extra: { session: { 'intra_op.allow_spinning': '1', force_spinning_stop: '1' } },
  };
}

let cached: OrtRuntime | Error | null = null;

/**
 * The runtime, loaded once per process; throws an Error with a one-line message when
 * `onnxruntime-node` or its native binary for this platform cannot be loaded.
 */
export function loadOrtRuntime(): OrtRuntime {
  cached ??= tryLoad();
  if (cached instanceof Error) throw cached;
  return cached;
}

function tryLoad(): OrtRuntime | Error {
  try {
    const require = createRequire(import.meta.url);
    const mod = require('onnxruntime-node/dist/binding.js') as Partial<BindingModule>;
    const version = (require('onnxruntime-node/package.json') as { version?: string }).version ?? 'unknown';
    if (typeof mod.initOrt !== 'function' || typeof mod.binding?.InferenceSession !== 'function') {
      return new Error(`onnxruntime-node ${version}: its native binding has an unexpected shape`);
    }
    mod.initOrt();
    const Session = mod.binding.InferenceSession;
    return {
      version,
      createSession(model: Uint8Array, threads: number): OrtSession {
        const s = new Session();
        s.loadModel(model.buffer, model.byteOffset, model.byteLength, sessionOptions(threads));
        let live = true;
        return {
          run: (feeds, fetches) => void s.run(feeds, fetches, {}),
          dispose: () => {
            if (live) s.dispose();
            live = false;
          },
        };
      },
    };
  } catch (e) {
    return new Error(`onnxruntime-node cannot be loaded: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  }
}

/** A float32 tensor over `data` with `dims` (no copy). */
export function f32(data: Float32Array, dims: number[]): OrtTensor {
  return { type: 'float32', dims, location: 'cpu', data };
}

/** An int32 tensor over `data` (no copy). */
export function i32(data: Int32Array, dims: number[]): OrtTensor {
  return { type: 'int32', dims, location: 'cpu', data };
}
