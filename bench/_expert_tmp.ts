import { getTask } from '../envs/index.ts';
import { EnvGroup } from '../src/sim/env_group.ts';
import { NOMINAL, resolveRandomization } from '../src/sim/randomize.ts';
const task = getTask('pendulum');
const n = 50;
for (const drOn of [false, true]) {
const g = await EnvGroup.create({ task, numEnvs: n, firstEnvIndex: 0, seed: 7, dr: drOn ? resolveRandomization(task.dr, {}) : { ...NOMINAL } });
const b = g.buffers;
const rets: number[] = []; const done = new Array(n).fill(false);
let t = 0; const upAt = new Array(n).fill(-1);
while (rets.length < n) {
  for (let i = 0; i < n; i++) {
    const c = b.obs[3*i]!, s = b.obs[3*i+1]!, w = b.obs[3*i+2]!;
    const th = Math.atan2(s, c);
    // energy: E = 0.5 I w^2 + m g l/2 cos th ; I = m l^2/3 = 1/3 ; target E = 4.9
    const E = 0.5 * (1/3) * w*w + 4.905 * c;
    let u;
    if (c > 0.85) u = -(10 * th + 2 * w) / 2;
    else u = (4.905 - E) * Math.sign(w || 1) * 5;
    b.actions[i] = Math.max(-1, Math.min(1, u));
  }
  g.step(); t++;
  for (let i = 0; i < n; i++) {
    if (upAt[i] < 0 && Math.abs(Math.atan2(b.obs[3*i+1]!, b.obs[3*i]!)) < 0.1) upAt[i] = t;
    if (!done[i] && b.truncated[i]) { done[i] = true; rets.push(b.episodeReturn[i]!); }
  }
}
rets.sort((a, b) => a - b);
console.log('dr', drOn, 'mean', rets.reduce((a, b) => a + b) / n, 'min', rets[0], 'median', rets[n>>1], 'max', rets[n-1], 'upAt max', Math.max(...upAt), 'mean', upAt.reduce((a,b)=>a+b)/n);
g.dispose();
}
process.exit(0);
