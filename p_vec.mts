import { VecEnv } from './src/sim/vec_env.ts';
for (const n of [1, 256]) {
  const v = await VecEnv.create({ task: 'cartpole', numEnvs: n, numWorkers: 1, seed: 1 });
  for (let s = 0; s < 100; s++) { for (let i=0;i<n;i++) v.buffers.actions[i] = Math.random()*2-1; await v.step(); }
  const t = performance.now();
  for (let s = 0; s < 500; s++) { for (let i=0;i<n;i++) v.buffers.actions[i] = Math.random()*2-1; await v.step(); }
  const ms = (performance.now()-t)/500;
  console.log(n, 'envs: ms/step', ms.toFixed(3), 'env-steps/s', Math.round(n/ms*1000));
  await v.close();
}
process.exit(0);
