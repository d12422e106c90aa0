/**
 * What the contract generator hands back: the contract itself (the agreed `robots/<name>.json`
 * shape, with the `locomotion` section for a legged robot) and every guess behind it with its
 * reason, so `sim2real urdf --init` can print them and a user can judge them.
 */
import type { RobotSpec } from '../robot_spec.ts';

/** The `locomotion` section of a legged robot's contract (docs/robots.md). */
export interface LocomotionDraft {
  base_link: string;
  legs: { name: string; joints: string[]; foot: string }[];
  penalized_contacts: string[];
  terminating_contacts: string[];
  nominal_base_height_m: number;
}

/** A contract as written to OUT.json: the robot spec, plus `locomotion` for legged robots. */
export interface ContractJson extends RobotSpec {
  locomotion?: LocomotionDraft;
}

/** One guess the generator made: what, the value chosen, and the rule or fact behind it. */
export interface Guess {
  what: string;
  value: string;
  why: string;
}

/** A leg as the printout shows it. */
export interface LegSummary {
  name: string;
  /** Each joint: its default (commanded) position, where it settles standing, limits and gains. */
  joints: { name: string; default_pos: number; stand_pos: number; lower: number; upper: number; kp: number; kd: number }[];
  foot: string;
  footShape: string;
  knee: string;
  kneeWhy: string;
}

/** The generated contract and everything said about it. */
export interface ContractDraft {
  /** `legged`: floating base with legs (has `locomotion`); `fixed`: a fixed-base robot (an arm). */
  kind: 'legged' | 'fixed';
  contract: ContractJson;
  /** Legged robots: each leg as found. */
  legs: LegSummary[];
  guesses: Guess[];
  /** What the user should check before trusting the contract, most important first. */
  checks: string[];
  /** Things noticed that may need a fix (a foot without a sphere, joints left passive…). */
  warnings: string[];
  /** Why a robot got the fixed-base contract (empty for a legged robot). */
  message: string;
}

/** A robot the generator cannot write a contract for (no movable joints, a floating base with no legs). */
export class ContractInitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractInitError';
  }
}
