import { EnvGroup } from './src/sim/env_group.ts';
import { getTask } from './envs/index.ts';
const task = getTask(process.argv[2] ?? 'cartpole');
const N = 256;
const g = await EnvGroup.create({ task, numEnvs: N, firstEnvIndex: 0, seed: 1, dr: task.dr });
const gg = g as any;
const t = { cmd: 0, phys: 0, fin: 0 };
for (let s = 0; s < 600; s++) {
  for (let i = 0; i < g.buffers.actions.length; i++) g.buffers.actions[i] = Math.random() * 2 - 1;
  const a = performance.now();
  for (let i = 0; i < N; i++) gg.commandEnv(i);
  const b = performance.now();
  for (let k = 0; k < g.spec.decimation; k++) { for (let i = 0; i < N; i++) g.robot(i).prePhysicsStep(0.02); g.world.step(); }
  const c = performance.now();
  for (let i = 0; i < N; i++) gg.finishStep(i);
  const d = performance.now();
  if (s >= 100) { t.cmd += b - a; t.phys += c - b; t.fin += d - c; }
}
const per = (x: number) => ((x / 500 / N) * 1000).toFixed(2) + ' us/env';
console.log({ cmd: per(t.cmd), phys: per(t.phys), fin: per(t.fin), rate: Math.round(500 * N / ((t.cmd + t.phys + t.fin) / 1000)) });
