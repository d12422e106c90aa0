import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
const w = new Worker(fileURLToPath(new URL('./src/sim/ts_worker.mjs', import.meta.url)), { workerData: { entry: new URL('./p_phase.mts', import.meta.url).href } });
w.on('exit', () => process.exit(0));
