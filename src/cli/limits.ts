/**
 * The largest sizes the command line accepts, stated once: a typo such as `--envs 2000000` is
 * refused at once (exit 2, naming the maximum) instead of allocating gigabytes for minutes.
 * docs/security.md lists them.
 */

/** Parallel envs of a command: `train --envs` (and `ppo.num_envs`), `bench sim --envs`. */
export const MAX_ENVS = 65_536;
/** Worker threads stepping envs: `train --workers` (and `num_workers`), `bench sim --workers`. */
export const MAX_WORKERS = 256;
/** Env steps `train --steps` (and `total_env_steps`) may plan. */
export const MAX_TRAIN_ENV_STEPS = 1e12;
/** Samples in one rollout, `ppo.num_envs × ppo.num_steps`: each holds an observation, an action and a dozen scalars. */
export const MAX_ROLLOUT_SAMPLES = 4_194_304;
/** Control steps `bench sim --steps` times. */
export const MAX_BENCH_STEPS = 100_000;
/** Episodes of `eval --episodes` (one env each, all in one world; `--record` holds them in memory). */
export const MAX_EVAL_EPISODES = 4_096;
/** Episodes of `robot --episodes` (one simulated robot and one bridge connection each). */
export const MAX_ROBOT_EPISODES = 1_024;
