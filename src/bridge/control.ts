/**
 * One robot's control channel inside the bridge: an observation goes through the safety
 * layer, then the policy, then the command limits, and comes out as a decision — an action,
 * the safe command, or an error. Protocol-agnostic: each protocol's session (protocol_session.ts)
 * formats its decisions. Observations of one channel are answered in order.
 */
import type { PolicyContract } from '../onnx/metadata.ts';
import { EstopLatch, type EstopEvent, type EstopOrigin, type EstopRecord } from './estop.ts';
import { commandsFromOutput } from './limits.ts';
import { ProtocolError, type SafeReason, type SafetyCounters, type SafetyState } from './protocol.ts';
import { SafetyLayer, type Clock, type SafetyLimits } from './safety.ts';

/** What the bridge needs of a policy (an `OnnxPolicy` fits). */
export interface BridgePolicy {
  readonly contract: PolicyContract;
  /**
   * The graph's outputs [B, act_dim] for observations [B, obs_dim]; null when there is no
   * policy to run (the on-robot agent's slot without a loadable policy): the safe command answers.
   */
  run(obs: Float32Array): Promise<Float32Array | null>;
}

/** The outcome for one observation. */
export type Decision =
  | { kind: 'action'; seq: number; tMs: number; command: number[]; raw: number[]; latencyMs: number; limited: boolean }
  | { kind: 'safe'; seq: number; reason: SafeReason; command: number[] }
  | { kind: 'error'; error: ProtocolError };

/** One control step as the channel decided it: the observation (observed units) and the decision that answers it. */
export interface ControlStep {
  seq: number;
  tMs: number;
  obs: Float32Array;
  decision: Decision;
}

/** Told of every observation a channel answered, after the decision and before the reply is sent (keep it cheap). */
export type StepListener = (step: ControlStep) => void;

/** A channel's safety state and counts, whatever protocol its connection speaks. */
export interface ChannelStats {
  state: SafetyState;
  /** A copy of the safety layer's intervention counters. */
  interventions: SafetyCounters;
  /** Observations received (valid or not). */
  observations: number;
  /** Observations answered with a policy action. */
  actions: number;
  /** The process-wide e-stop: who latched it, when and why; null when not latched. */
  estop: EstopRecord | null;
}

/** The e-stop latch a channel shares with every other channel of its server, and how it names its connection. */
export interface SharedEstop {
  latch: EstopLatch;
  origin: () => EstopOrigin;
}

/** Observations one channel may have waiting for the policy before new ones are refused as `busy`. */
const MAX_PENDING = 32;

/** Safety layer + policy for one connection. */
export class ControlChannel {
  readonly safety: SafetyLayer;
  /** Observations accepted and answered with a policy action. */
  actions = 0;
  /** Observations received (valid or not). */
  observations = 0;
  private pending = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly shared: SharedEstop;

  /**
   * `estop`: the server's latch (default: a latch of this channel alone). A channel opened while
   * it holds starts e-stopped. `onStep`: told of every observation answered (telemetry).
   */
  constructor(
    private readonly policy: BridgePolicy, limits: SafetyLimits, private readonly clock: Clock, private readonly log: (line: string) => void = () => {},
    estop?: SharedEstop, private readonly onStep?: StepListener,
  ) {
    this.safety = new SafetyLayer(limits, clock);
    this.shared = estop ?? { latch: new EstopLatch(), origin: () => ({ connection: 'local', peer: 'local', protocol: null }) };
    if (this.shared.latch.held) this.safety.estop(false);
  }

  /**
   * Decides what to answer observation `seq` (robot time `tMs`, received at `receivedMs` on the
   * channel's clock): at once when it is refused or the e-stop holds, else after the policy ran.
   */
  observe(obs: Float32Array, seq: number, tMs: number, receivedMs: number): Decision | Promise<Decision> {
    const d = this.decide(obs, seq, tMs, receivedMs);
    const report = this.onStep;
    if (!report) return d;
    if (d instanceof Promise) {
      return d.then((decision) => {
        report({ seq, tMs, obs, decision });
        return decision;
      });
    }
    report({ seq, tMs, obs, decision: d });
    return d;
  }

  private decide(obs: Float32Array, seq: number, tMs: number, receivedMs: number): Decision | Promise<Decision> {
    this.observations++;
    if (this.pending >= MAX_PENDING) {
      return { kind: 'error', error: new ProtocolError('busy', `more than ${MAX_PENDING} observations waiting: dropped`, 'seq', seq) };
    }
    const verdict = this.safety.checkObservation(obs, seq);
    if (!verdict.ok) {
      const err = verdict.reason === 'stale'
        ? new ProtocolError('stale', `seq ${seq} is not newer than the last accepted observation`, 'seq', seq)
        : new ProtocolError('obs_rejected', `obs[${verdict.index}] is ${verdict.reason === 'non_finite' ? 'not finite' : `beyond ±${this.safety.limits.maxAbsObservation}`}`, `obs[${verdict.index}]`, seq);
      this.log(`safety: rejected observation seq ${seq}: ${err.message}`);
      return { kind: 'error', error: err };
    }
    if (!this.mayAct()) return this.safe(seq, 'estop');
    this.pending++;
    const next = this.chain.then(() => this.act(obs, seq, tMs, receivedMs)).finally(() => this.pending--);
    this.chain = next.catch(() => {});
    return next;
  }

  /** The safety state and counts now. */
  stats(): ChannelStats {
    const estop = this.shared.latch.record;
    return { state: estop ? 'estopped' : this.safety.state, interventions: { ...this.safety.counters }, observations: this.observations, actions: this.actions, estop };
  }

  /**
   * A client on this connection asks for an e-stop: latches this channel and the shared latch
   * (every other channel follows), and returns the safe command to send at once.
   */
  estop(reason: string): Decision {
    this.safety.estop();
    if (this.shared.latch.trip(this.shared.origin(), reason)) this.log(`safety: e-stop latched for every session: ${reason}`);
    return this.safe(-1, 'estop');
  }

  /** A client on this connection resets: clears the shared latch (every channel follows) and this channel's e-stop or watchdog trip. */
  reset(): void {
    this.shared.latch.reset(this.shared.origin());
    this.safety.reset();
  }

  /**
   * Follows a change of the shared latch made on another connection: when it latched, this
   * channel stops too and returns the safe command to send unsolicited; when it was reset, an
   * e-stopped channel waits for a fresh valid observation again.
   */
  follow(event: EstopEvent): Decision | null {
    if (event.kind === 'reset') {
      if (this.safety.state === 'estopped') this.safety.reset();
      return null;
    }
    if (this.safety.state === 'estopped') return null;
    this.safety.estop(false);
    return this.safe(-1, 'estop');
  }

  /** The safe command as a decision (counted by the safety layer). */
  safe(seq: number, reason: SafeReason): Decision {
    return { kind: 'safe', seq, reason, command: this.safety.safeCommand() };
  }

  /** Watchdog check; returns the safe decision to send when it just tripped. */
  tick(): Decision | null {
    if (!this.safety.tick()) return null;
    this.log(`safety: watchdog: no valid observation for ${this.safety.limits.timeoutMs} ms, safe command sent`);
    return this.safe(-1, 'watchdog');
  }

  private async act(obs: Float32Array, seq: number, tMs: number, receivedMs: number): Promise<Decision> {
    let y: Float32Array | null;
    try {
      y = await this.policy.run(obs);
    } catch (e) {
      return { kind: 'error', error: new ProtocolError('obs_rejected', `policy failed on this observation: ${(e as Error).message}`, 'obs', seq) };
    }
    // an e-stop or watchdog trip during inference wins: nothing computed before it reaches a motor
    if (!this.mayAct()) return this.safe(seq, this.shared.latch.held || this.safety.state === 'estopped' ? 'estop' : 'watchdog');
    if (y === null) return this.safe(seq, 'no_policy');
    const { command, raw } = commandsFromOutput(this.policy.contract, y);
    const { limited } = this.safety.limitCommand(command);
    if (limited) this.log(`safety: command for seq ${seq} limited to [${Array.from(command, (v) => +v.toFixed(4)).join(', ')}]`);
    this.actions++;
    return { kind: 'action', seq, tMs, command: Array.from(command), raw: Array.from(raw), latencyMs: this.clock() - receivedMs, limited };
  }

  /** A policy action may go out: this channel's safety layer is running and the shared e-stop is not latched. */
  private mayAct(): boolean {
    return this.safety.mayAct() && !this.shared.latch.held;
  }
}
