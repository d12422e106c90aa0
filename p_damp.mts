import { loadRapier } from './src/sim/rapier.ts';
import { createWorld, createGround, buildRobot } from './src/sim/build.ts';
import { loadUrdf } from './src/sim/urdf.ts';
import { loadRobotSpec } from './src/sim/robot_spec.ts';
import { NOMINAL, sampleRandomization } from './src/sim/randomize.ts';
import { Rng } from './src/sim/rng.ts';
const R = await loadRapier();
for (const d of [0, 1e-7, 1.7e-4, 1e-3, 0.01, 0.02, 0.05]) {
  const spec = loadRobotSpec('cartpole'); const model = loadUrdf(spec.urdfPath);
  const w = createWorld(R, { dtS: 0.02 }); createGround(R, w);
  const r = buildRobot(R, w, model, spec, { origin: [0, 0, 0] });
  const s = sampleRandomization(NOMINAL, new Rng(1)); s.joint_damping = d; r.applyRandomization(s);
  r.setJoints([0], [0]);
  const pos = new Float64Array(1), vel = new Float64Array(1);
  for (let k = 0; k < 10; k++) { r.setAction([1]); r.prePhysicsStep(0.02); w.step(); }
  r.readJoints(pos, vel);
  console.log('damping', d, 'cart vel after 0.2 s of 10 N:', vel[0].toFixed(4), 'expected ~', (10 * 0.2 / 1.1).toFixed(3));
}
