// Bootstraps a worker thread that runs TypeScript (the env workers, the CPU backend's pool):
// registers tsx in this thread, then imports the module named in workerData.entry. Worker
// threads do not inherit the parent's loader.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
