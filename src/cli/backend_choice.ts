/** `--backend auto|cpu|webgpu`: which tensor backend the trainer runs on, and why. */
import { CpuBackend } from '../backend/cpu.ts';
import type { Backend } from '../backend/backend.ts';
import { UsageError, say } from './common.ts';

export const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;

/** The backend for `choice`; prints one line saying which and why. */
export function chooseBackend(choice: string): Backend {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) throw new UsageError(`--backend: expected one of ${BACKEND_CHOICES.join(', ')}, got "${choice}"`);
  if (choice === 'webgpu') throw new UsageError('--backend webgpu: this version has no WebGPU backend yet; use --backend cpu');
  say(choice === 'auto' ? 'backend: cpu (auto: this version has no WebGPU backend yet)' : 'backend: cpu');
  return new CpuBackend();
}
