/**
 * Contact queries of a built robot: whether a body, or one URDF link's own collision shapes
 * (a foot welded into its calf by a fixed joint), touch anything with a non-zero contact
 * impulse in the last physics step. Allocation-free: the Rapier callbacks are bound once.
 */
import type { Collider, World } from '../rapier.ts';

export class ContactProbe {
  /** Colliders per URDF link that has any, in the order of `linkNames`. */
  readonly linkNames: readonly string[];
  private readonly linkColliders: Collider[][];
  /** Where each of `linkColliders` sits in `bodyColliders`: [body, index] pairs. */
  private readonly linkSlots: (readonly [number, number])[][];
  private current: Collider | null = null;
  private found = false;

  /**
   * @param bodyColliders colliders per body
   * @param colliderLinks the URDF link of each of those colliders (same shape)
   */
  constructor(private world: World, private readonly bodyColliders: readonly (readonly Collider[])[], colliderLinks: readonly (readonly string[])[]) {
    const byLink = new Map<string, (readonly [number, number])[]>();
    bodyColliders.forEach((cs, b) => cs.forEach((_, k) => {
      const link = colliderLinks[b]?.[k] as string;
      const list = byLink.get(link) ?? [];
      list.push([b, k]);
      byLink.set(link, list);
    }));
    this.linkNames = [...byLink.keys()];
    this.linkSlots = [...byLink.values()];
    this.linkColliders = this.linkSlots.map(() => []);
    this.rebind(world);
  }

  /**
   * Points the probe at `world` after the robot's colliders (the `bodyColliders` arrays, updated
   * in place) were re-fetched from it, e.g. after a world snapshot was restored.
   */
  rebind(world: World): void {
    this.world = world;
    this.linkSlots.forEach((slots, l) => {
      const cs = this.linkColliders[l] as Collider[];
      cs.length = 0;
      for (const [b, k] of slots) cs.push(this.bodyColliders[b]?.[k] as Collider);
    });
  }

  /** Whether body `b` touches anything. */
  body(b: number): boolean {
    return this.any(this.bodyColliders[b] ?? []);
  }

  /** Index of URDF link `name` for `link()`; -1 when it has no collision shapes. */
  linkIndex(name: string): number {
    return this.linkNames.indexOf(name);
  }

  /** Whether the shapes of link index `l` touch anything. */
  link(l: number): boolean {
    const cs = this.linkColliders[l];
    if (!cs) throw new Error(`contact link index ${l} out of range (0–${this.linkColliders.length - 1})`);
    return this.any(cs);
  }

  private any(colliders: readonly Collider[]): boolean {
    this.found = false;
    for (const c of colliders) {
      this.current = c;
      this.world.contactPairsWith(c, this.onPair);
      if (this.found) break;
    }
    this.current = null;
    return this.found;
  }

  private readonly onPair = (other: Collider): void => {
    if (!this.found && this.current !== null) this.world.contactPair(this.current, other, this.onManifold);
  };

  private readonly onManifold = (m: { numContacts(): number; contactImpulse(i: number): number }): void => {
    const n = m.numContacts();
    for (let k = 0; k < n && !this.found; k++) if (m.contactImpulse(k) !== 0) this.found = true;
  };
}
