/**
 * Contact queries of a built robot: whether a body, or one URDF link's own collision shapes
 * (a foot welded into its calf by a fixed joint), touch anything with a non-zero contact
 * impulse in the last physics step. Allocation-free: the Rapier callbacks are bound once.
 */
import type { Collider, World } from './rapier.ts';

export class ContactProbe {
  /** Colliders per URDF link that has any, in the order of `linkNames`. */
  readonly linkNames: readonly string[];
  private readonly linkColliders: readonly (readonly Collider[])[];
  private current: Collider | null = null;
  private found = false;

  /**
   * @param bodyColliders colliders per body
   * @param colliderLinks the URDF link of each of those colliders (same shape)
   */
  constructor(private readonly world: World, private readonly bodyColliders: readonly (readonly Collider[])[], colliderLinks: readonly (readonly string[])[]) {
    const byLink = new Map<string, Collider[]>();
    bodyColliders.forEach((cs, b) => cs.forEach((c, k) => {
      const link = colliderLinks[b]?.[k] as string;
      const list = byLink.get(link) ?? [];
      list.push(c);
      byLink.set(link, list);
    }));
    this.linkNames = [...byLink.keys()];
    this.linkColliders = [...byLink.values()];
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
