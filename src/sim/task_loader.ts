/**
 * Finds a task by reference: a registered name (`cartpole`) or the path of a user's own task
 * module (`./my_task.ts`, exporting a `TaskSpec` as `default` or as its only `TaskSpec` export).
 * Workers call this too, so a user task runs in parallel exactly like a built-in one.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { getTask } from '../../envs/index.ts';
import type { TaskSpec } from './task.ts';

/** Whether `ref` names a module file rather than a registered task. */
export function isTaskModulePath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || /\.(ts|mts|js|mjs)$/.test(ref);
}

/** The task named or pointed to by `ref`; errors say what was looked for. */
export async function resolveTask(ref: string): Promise<TaskSpec> {
  if (!isTaskModulePath(ref)) return getTask(ref);
  const file = path.resolve(ref);
  if (!existsSync(file)) throw new Error(`task module ${file} not found`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidates = [mod.default, ...Object.values(mod)].filter(isTaskSpec);
  const task = candidates[0];
  if (!task) throw new Error(`task module ${file} exports no TaskSpec (an object with name, robot, observations, actions, create)`);
  return task;
}

function isTaskSpec(v: unknown): v is TaskSpec {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Partial<TaskSpec>;
  return typeof t.name === 'string' && typeof t.robot === 'string' && Array.isArray(t.observations) &&
    Array.isArray(t.actions) && typeof t.create === 'function';
}
