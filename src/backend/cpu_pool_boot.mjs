// Bootstraps a pool thread of the CPU backend: registers tsx in this thread (worker threads do
// not inherit the parent's loader), then runs the TypeScript module named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
