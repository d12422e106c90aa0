/**
 * The task registry: every task the CLI and the trainer know, by name. Add a task by writing
 * `envs/<name>.ts` (exporting a `TaskSpec`) and listing it here.
 */
import type { TaskSpec } from '../src/sim/task.ts';
import { cartpole } from './cartpole.ts';
import { pendulum } from './pendulum.ts';
import { reacher } from './reacher.ts';
import { quadruped } from './quadruped.ts';

export const envRegistry = { cartpole, pendulum, reacher, quadruped } satisfies Record<string, TaskSpec>;

/** Names of the registered tasks. */
export type EnvName = keyof typeof envRegistry;

/** All registered tasks, in registry order. */
export function listTasks(): TaskSpec[] {
  return Object.values(envRegistry);
}

/** The task called `name`; an unknown name is an error that lists the known ones. */
export function getTask(name: string): TaskSpec {
  if (!Object.hasOwn(envRegistry, name)) {
    throw new Error(`unknown env "${name}" (known: ${Object.keys(envRegistry).join(', ')})`);
  }
  return envRegistry[name as EnvName];
}
