/**
 * The bounded state a rosbridge connection may make the server keep: its subscriptions
 * (topic → request ids) and advertisements (topic → type), with caps on how many of each and
 * on the length of topic names and ids. A request past a bound is refused with an error
 * status; nothing a client sends grows this state without limit.
 */

/** Caps on one rosbridge connection's state (defaults: `DEFAULT_ROS_STATE_LIMITS`). */
export interface RosStateLimits {
  /** Subscriptions (distinct topic + id pairs) per connection. */
  maxSubscriptions: number;
  /** Advertised topics per connection. */
  maxAdvertisements: number;
  /** Longest topic name or request id, in characters. */
  maxNameChars: number;
}

/** 32 subscriptions, 16 advertisements, names and ids up to 256 characters. */
export const DEFAULT_ROS_STATE_LIMITS: Readonly<RosStateLimits> = { maxSubscriptions: 32, maxAdvertisements: 16, maxNameChars: 256 };

/** A string field (topic, type, id) checked for presence and length; the error names the field and the bound. */
export function boundedName(v: unknown, field: string, limits: Readonly<RosStateLimits>): string {
  if (typeof v !== 'string' || v.length === 0) throw new Error(`${field} must be a non-empty string`);
  if (v.length > limits.maxNameChars) throw new Error(`${field} is ${v.length} characters long; at most ${limits.maxNameChars} are accepted`);
  return v;
}

/** Subscriptions and advertisements of one connection, within their caps. */
export class RosState {
  private readonly subs = new Map<string, Set<string>>();
  private subCount = 0;
  private readonly ads = new Map<string, string>();

  constructor(private readonly limits: Readonly<RosStateLimits>) {}

  /** Adds subscription `id` ('' when the client gave none) to `topic`; refused past `maxSubscriptions`. */
  subscribe(topic: string, id: string): void {
    const ids = this.subs.get(topic) ?? new Set<string>();
    if (ids.has(id)) return;
    if (this.subCount >= this.limits.maxSubscriptions) throw new Error(`subscription refused: this connection already holds ${this.subCount} subscriptions (at most ${this.limits.maxSubscriptions}); unsubscribe first`);
    ids.add(id);
    this.subs.set(topic, ids);
    this.subCount++;
  }

  /** Removes subscription `id` of `topic`, or all of the topic's when `id` is undefined. */
  unsubscribe(topic: string, id: string | undefined): void {
    const ids = this.subs.get(topic);
    if (!ids) return;
    const before = ids.size;
    if (id === undefined) ids.clear();
    else ids.delete(id);
    this.subCount -= before - ids.size;
    if (ids.size === 0) this.subs.delete(topic);
  }

  /** Whether anything is subscribed to `topic`. */
  subscribed(topic: string): boolean {
    return this.subs.has(topic);
  }

  /** Subscribed topics. */
  subscribedTopics(): string[] {
    return [...this.subs.keys()];
  }

  /** Records `topic` as advertised with `type`; refused past `maxAdvertisements` new topics. */
  advertise(topic: string, type: string): void {
    if (!this.ads.has(topic) && this.ads.size >= this.limits.maxAdvertisements) throw new Error(`advertise refused: this connection already advertises ${this.ads.size} topics (at most ${this.limits.maxAdvertisements})`);
    this.ads.set(topic, type);
  }

  /** Forgets an advertisement. */
  unadvertise(topic: string): void {
    this.ads.delete(topic);
  }

  /** The type `topic` was advertised with, if it was. */
  advertisedType(topic: string): string | undefined {
    return this.ads.get(topic);
  }

  /** Advertised topics. */
  advertisedTopics(): string[] {
    return [...this.ads.keys()];
  }
}
