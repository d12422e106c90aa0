/**
 * The bridge's process-wide e-stop: one latch shared by every connection of a server (and so
 * of a `sim2real deploy` process). An e-stop from any authenticated connection, native or
 * rosbridge, latches it; while it is latched every robot session answers with its safe command,
 * including sessions that connect later; only an explicit reset clears it. It records who
 * latched it, when and why, for `status` and the log. Pure: no sockets, no timers.
 */

/** The connection an e-stop or a reset came from. */
export interface EstopOrigin {
  /** The connection's id (the native `welcome.session`). */
  connection: string;
  /** Remote address and port. */
  peer: string;
  /** The protocol the connection speaks (a protocol table name), or null before one opened. */
  protocol: string | null;
}

/** Who latched the e-stop, when and why: what `status` reports while it holds. */
export interface EstopRecord {
  by: EstopOrigin;
  /** Wall-clock time it latched (ISO 8601, UTC). */
  at: string;
  /** The reason the client gave (native `estop.reason`; rosbridge: the topic). */
  reason: string;
}

/** A change of the latch, as listeners see it. */
export type EstopEvent =
  | { kind: 'latched'; record: EstopRecord }
  | { kind: 'reset'; record: EstopRecord; by: EstopOrigin };

/** Called synchronously on every change, before `trip` or `reset` returns. */
export type EstopListener = (event: EstopEvent) => void;

/** The latch every session of one bridge shares. */
export class EstopLatch {
  private current: EstopRecord | null = null;
  private readonly listeners = new Set<EstopListener>();
  /** How many times it latched (a second e-stop while latched does not count). */
  trips = 0;

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** True while latched. */
  get held(): boolean {
    return this.current !== null;
  }

  /** Who latched it, when and why; null when not latched. */
  get record(): EstopRecord | null {
    return this.current ? { ...this.current, by: { ...this.current.by } } : null;
  }

  /**
   * Latches (if not already latched: the first e-stop's record is kept) and tells every listener.
   * Returns true when this call latched it.
   */
  trip(by: EstopOrigin, reason: string): boolean {
    if (this.current) return false;
    this.current = { by: { ...by }, at: this.now().toISOString(), reason };
    this.trips++;
    this.emit({ kind: 'latched', record: this.current });
    return true;
  }

  /** Clears the latch on an explicit reset and tells every listener; false when it was not latched. */
  reset(by: EstopOrigin): boolean {
    const record = this.current;
    if (!record) return false;
    this.current = null;
    this.emit({ kind: 'reset', record, by: { ...by } });
    return true;
  }

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: EstopListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: EstopEvent): void {
    for (const l of [...this.listeners]) l(event);
  }
}

/** One line for the log and for rosbridge status messages: who, when, why. */
export function describeEstop(r: EstopRecord): string {
  return `e-stop latched at ${r.at} by ${describeOrigin(r.by)}: ${r.reason}`;
}

/** `rosbridge connection 1a2b3c4d from 127.0.0.1:5555`. */
export function describeOrigin(o: EstopOrigin): string {
  return `${o.protocol ?? 'a'} connection ${o.connection.slice(0, 8)} from ${o.peer}`;
}
