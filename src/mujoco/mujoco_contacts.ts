/**
 * Which of a MuJoCo robot's bodies and URDF links touch the ground: a contact counts when the
 * solver gives it a non-zero force (as Rapier's contact probe asks for a non-zero impulse), not
 * merely when the shapes overlap. Read once per physics state, on the first question after a
 * step or a state change: the constraint rows come from the data's arrays, and only contacts
 * that push are looked up through MuJoCo's contact accessor (the slow part, ~10 µs each).
 */
import type { MjData } from './mujoco_wasm.ts';

/** The contact constraint types (`mjCNSTR_CONTACT_FRICTIONLESS`, `_PYRAMIDAL`, `_ELLIPTIC`). */
const CONTACT_ROWS = new Set([5, 6, 7]);

/** Contact flags of one robot's bodies and links. */
export class MujocoContacts {
  private readonly bodyTouch: Uint8Array;
  private readonly linkTouch: Uint8Array;
  private readonly linkIndexByName: ReadonlyMap<string, number>;
  /** Contacts with a force, by contact index (scratch). */
  private active = new Uint8Array(64);
  /** The state version the flags were read at (-1: never). */
  private seen = -1;

  /**
   * `geomBody[g]` / `geomLink[g]`: the plan body and the index of the URDF link (among
   * `links`, the links that have collision shapes) of MuJoCo geom `g`, −1 for geoms not the robot's.
   */
  constructor(
    numBodies: number,
    links: readonly string[],
    private readonly geomBody: Int32Array,
    private readonly geomLink: Int32Array,
  ) {
    this.bodyTouch = new Uint8Array(numBodies);
    this.linkTouch = new Uint8Array(links.length);
    this.linkIndexByName = new Map(links.map((l, i) => [l, i]));
  }

  /** Index for `link` of URDF link `name`'s own collision shapes; -1 if it has none. */
  linkIndex(name: string): number {
    return this.linkIndexByName.get(name) ?? -1;
  }

  /** Whether plan body `i` touches anything with a non-zero contact force, in state `version` of `d`. */
  body(d: MjData, version: number, i: number): boolean {
    this.refresh(d, version);
    return this.bodyTouch[i] === 1;
  }

  /** Whether the shapes of link index `l` touch anything with a non-zero contact force. */
  link(d: MjData, version: number, l: number): boolean {
    if (!(l >= 0 && l < this.linkTouch.length)) throw new RangeError(`link contact index ${l} is outside [0, ${this.linkTouch.length})`);
    this.refresh(d, version);
    return this.linkTouch[l] === 1;
  }

  private refresh(d: MjData, version: number): void {
    if (version === this.seen) return;
    this.seen = version;
    this.bodyTouch.fill(0);
    this.linkTouch.fill(0);
    const ncon = d.ncon;
    if (ncon === 0) return;
    if (this.active.length < ncon) this.active = new Uint8Array(2 * ncon);
    const active = this.active;
    active.fill(0, 0, ncon);
    const type = d.efc_type as Int32Array, id = d.efc_id as Int32Array, force = d.efc_force as Float64Array;
    let any = false;
    for (let r = 0; r < type.length; r++) {
      if (CONTACT_ROWS.has(type[r] as number) && (force[r] as number) > 0) {
        active[id[r] as number] = 1;
        any = true;
      }
    }
    if (!any) return;
    const contacts = d.contact;
    try {
      for (let c = 0; c < ncon; c++) {
        if (!active[c]) continue;
        const contact = contacts.get(c);
        if (!contact) continue;
        this.mark(contact.geom1);
        this.mark(contact.geom2);
        contact.delete();
      }
    } finally {
      contacts.delete();
    }
  }

  private mark(geom: number): void {
    const b = this.geomBody[geom] ?? -1;
    if (b >= 0) this.bodyTouch[b] = 1;
    const l = this.geomLink[geom] ?? -1;
    if (l >= 0) this.linkTouch[l] = 1;
  }
}
