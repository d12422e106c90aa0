/**
 * Finds a task by reference: a registered name (`cartpole`) or the path of a user's own task
 * module (`./my_task.ts`, exporting a `TaskSpec` as `default` or as its only `TaskSpec` export).
 * The registry is filled from above — `envs/index.ts` registers the built-in tasks — so this
 * room never imports `envs/`. Each registered task carries the module that defines it, which is
 * what a worker thread loads: a task runs on any number of threads (or hosts) by location.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { TaskSpec } from './task.ts';

/** Where a task is defined, in a form another thread can load: a module URL and the task's name. */
export interface TaskLocation {
  /** `file:` URL of the module exporting the task. */
  module: string;
  /** The `TaskSpec.name` to pick among the module's exports. */
  name: string;
  /** The robot contract (absolute path) the task runs on instead of its own (`taskOnRobot`). */
  robot?: string;
}

const registered = new Map<string, { spec: TaskSpec; module: string }>();

/** Registers a task under its name, with the URL of the module that exports it. */
export function registerTask(spec: TaskSpec, module: string | URL): void {
  registered.set(spec.name, { spec, module: String(module) });
}

/** The registered tasks, in registration order. */
export function listTasks(): TaskSpec[] {
  return [...registered.values()].map((r) => r.spec);
}

/** The task registered as `name`; an unknown name is an error that lists the known ones. */
export function getTask(name: string): TaskSpec {
  const r = registered.get(name);
  if (!r) throw new Error(`unknown env "${name}" (known: ${[...registered.keys()].join(', ')})`);
  return r.spec;
}

/** Whether `ref` names a module file rather than a registered task. */
function isTaskModulePath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || /\.(ts|mts|js|mjs)$/.test(ref);
}

/** The task named or pointed to by `ref`; errors say what was looked for. */
export async function resolveTask(ref: string): Promise<TaskSpec> {
  return (await locateTask(ref)).spec;
}

/**
 * The task named or pointed to by `ref` (on the robot contract `robot` instead of its own, when
 * given: {@link taskOnRobot}) and where it lives, for loading it in a worker thread.
 */
export async function locateTask(ref: string, robot?: string): Promise<{ spec: TaskSpec; location: TaskLocation }> {
  const onRobot = (spec: TaskSpec, module: string) => {
    if (robot === undefined) return { spec, location: { module, name: spec.name } };
    const moved = taskOnRobot(spec, robot);
    return { spec: moved, location: { module, name: spec.name, robot: moved.robot } };
  };
  if (!isTaskModulePath(ref)) return onRobot(getTask(ref), (registered.get(ref) as { module: string }).module);
  const file = path.resolve(ref);
  if (!existsSync(file)) throw new Error(`task module ${file} not found`);
  const module = pathToFileURL(file).href;
  return onRobot(pickTask(await importModule(module), file), module);
}

/** Loads the task at `loc` (a worker thread's side of {@link locateTask}). */
export async function loadTask(loc: TaskLocation): Promise<TaskSpec> {
  const spec = pickTask(await importModule(loc.module), loc.module, loc.name);
  return loc.robot === undefined ? spec : taskOnRobot(spec, loc.robot);
}

/**
 * `task` on the robot contract `robot` (a JSON path, made absolute, or a name in `robots/`):
 * rebuilt by the task's `forRobot` when it has one, else the task with only its `robot`
 * replaced (the robot must then drive the joints the task expects; its envs check).
 */
export function taskOnRobot(task: TaskSpec, robot: string): TaskSpec {
  const ref = robot.endsWith('.json') ? path.resolve(robot) : robot;
  const moved = task.forRobot ? task.forRobot(ref) : { ...task, robot: ref };
  if (moved.name !== task.name || moved.robot !== ref) throw new Error(`task ${task.name}: forRobot(${ref}) returned task ${moved.name} on robot ${moved.robot}`);
  return moved;
}

async function importModule(url: string): Promise<Record<string, unknown>> {
  return (await import(url)) as Record<string, unknown>;
}

function pickTask(mod: Record<string, unknown>, where: string, name?: string): TaskSpec {
  const candidates = [mod.default, ...Object.values(mod)].filter(isTaskSpec);
  const task = name === undefined ? candidates[0] : candidates.find((t) => t.name === name);
  if (!task) {
    const what = name === undefined ? 'no TaskSpec (an object with name, robot, observations, actions, create)' : `no TaskSpec named "${name}"`;
    throw new Error(`task module ${where} exports ${what}`);
  }
  return task;
}

function isTaskSpec(v: unknown): v is TaskSpec {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Partial<TaskSpec>;
  return typeof t.name === 'string' && typeof t.robot === 'string' && Array.isArray(t.observations) &&
    Array.isArray(t.actions) && typeof t.create === 'function';
}
