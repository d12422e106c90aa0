/**
 * What `sim2real push --status` shows: the store's versions and which is active, what answers the
 * controller now, uptime, the last safety interventions and the last things that happened
 * (pushes, refusals, activations, rollbacks), the rollback watch, telemetry and the trusted keys.
 * The recent-events lists are bounded rings, cheap enough to feed from every control step.
 */
import type { ServedBridge } from '../bridge/deploy.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';
import type { PolicySlot } from './policy_slot.ts';
import type { PolicyStore } from './policy_store.ts';
import type { RollbackGuard } from './rollback_guard.ts';
import type { TrustedKeys } from './signing.ts';
import type { Telemetry } from './telemetry.ts';

/** Entries kept in each ring. */
const RING = 50;

/** A safety intervention as status lists it. */
export interface InterventionNote {
  version: number | null;
  seq: number;
  what: string;
}

/** The agent's recent events and interventions. */
export class Happenings {
  private readonly events: { atMs: number; what: string }[] = [];
  private readonly interventions: (InterventionNote & { atMs: number })[] = [];
  /** Interventions ever noted. */
  interventionCount = 0;

  /** Something the operator should see in status (it is also logged by the caller). */
  note(what: string): void {
    push(this.events, { atMs: Date.now(), what });
  }

  /** A control step the safety layer changed or answered itself. */
  intervention(n: InterventionNote): void {
    this.interventionCount++;
    push(this.interventions, { atMs: Date.now(), ...n });
  }

  /** The last `n` of each, oldest first, with ISO times. */
  recent(n: number): { events: { at: string; what: string }[]; interventions: (InterventionNote & { at: string })[] } {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      events: this.events.slice(-n).map((e) => ({ at: iso(e.atMs), what: e.what })),
      interventions: this.interventions.slice(-n).map(({ atMs, ...i }) => ({ at: iso(atMs), ...i })),
    };
  }
}

/** Everything the status is read from. */
export interface StatusSources {
  spec: LoadedRobotSpec;
  store: PolicyStore;
  bridge: ServedBridge | null;
  slot: PolicySlot | null;
  guard: RollbackGuard;
  telemetry: Telemetry | null;
  trust: TrustedKeys;
  manageUrl: string | null;
  startedAt: string;
  uptimeS: number;
  steps: number;
  notRunning: string | null;
  happenings: Happenings;
}

/** The status object (`push --status --json` prints it as is). */
export function agentStatus(s: StatusSources): Record<string, unknown> {
  const active = s.store.active;
  const stats = s.bridge?.server.stats() ?? null;
  const recent = s.happenings.recent(20);
  return {
    robot: s.spec.name,
    started_at: s.startedAt,
    uptime_s: Math.round(s.uptimeS * 10) / 10,
    serving: s.slot === null ? 'nothing yet (waiting for a first policy)' : s.slot.active ? `version ${s.slot.active.version}` : 'the safe command',
    active,
    running: s.slot?.active?.version ?? null,
    not_running: s.notRunning,
    previous: s.store.previous,
    versions: s.store.list().map((m) => ({
      version: m.version, name: m.name, task: m.contract.task, sha256: m.sha256, bytes: m.bytes, key_id: m.keyId, stored_at: m.storedAt, active: m.version === active,
    })),
    controller: s.bridge && stats ? {
      url: s.bridge.server.url, open_connections: stats.open, connections: stats.connections, steps: s.steps,
      interventions: stats.interventions, interventions_noted: s.happenings.interventionCount, estop: stats.estop,
    } : null,
    management: s.manageUrl,
    shadow: s.slot?.shadow ? { version: s.slot.shadow.candidate.version } : null,
    automatic_rollback: { window_s: s.guard.rule.windowS, max_interventions: s.guard.rule.maxTrips, watching: s.guard.state() },
    last_interventions: recent.interventions,
    events: recent.events,
    history: s.store.history().slice(-20),
    telemetry: s.telemetry?.stats() ?? null,
    trusted_keys: s.trust.list(),
  };
}

function push<T>(ring: T[], x: T): void {
  ring.push(x);
  if (ring.length > RING) ring.shift();
}
