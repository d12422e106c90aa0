// Every suite sees the built-in tasks registered, as the CLI does (envs/index.ts fills the registry).
import '../envs/index.ts';
