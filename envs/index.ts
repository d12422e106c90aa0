/**
 * The built-in tasks: importing this module registers each of them, with the module that
 * defines it, in the task registry (`src/task/task_registry.ts`). Add a task by writing
 * `envs/<name>.ts` (or `envs/<name>/` for a task of several files) exporting a `TaskSpec`, and
 * registering it here.
 */
import { registerTask } from '../src/task/task_registry.ts';
import { cartpole } from './cartpole.ts';
import { pendulum } from './pendulum.ts';
import { reacher } from './reacher.ts';
import { quadruped } from './quadruped/quadruped.ts';
import { quadrupedRough } from './quadruped/quadruped_rough.ts';

registerTask(cartpole, new URL('./cartpole.ts', import.meta.url));
registerTask(pendulum, new URL('./pendulum.ts', import.meta.url));
registerTask(reacher, new URL('./reacher.ts', import.meta.url));
registerTask(quadruped, new URL('./quadruped/quadruped.ts', import.meta.url));
registerTask(quadrupedRough, new URL('./quadruped/quadruped_rough.ts', import.meta.url));

export { getTask, listTasks, resolveTask } from '../src/task/task_registry.ts';
