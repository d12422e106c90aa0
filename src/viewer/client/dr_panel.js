/**
 * `DrPanel`: the selected env's sampled domain-randomization values, with the ranges they were
 * drawn from where the server sent them.
 */

/** Units of the sample keys, for display. */
const UNITS = {
  added_base_mass_kg: 'kg', joint_damping: 'N·m·s/rad', latency_steps: 'steps', gravity_x: 'm/s²', gravity_y: 'm/s²', gravity_z: 'm/s²',
  push_interval_s: 's', push_velocity: 'm/s',
};

/** A table of one env's randomization sample. */
export class DrPanel {
  /** @param {HTMLTableElement} table @param {HTMLElement} caption */
  constructor(table, caption) {
    this.table = table;
    this.caption = caption;
    /** @type {Record<string, number>[]} */
    this.samples = [];
    this.ranges = null;
    this.env = 0;
  }

  /**
   * New samples (one per env) and, for live sessions, the ranges.
   * @param {Record<string, number>[]} samples
   * @param {Record<string, number[]> | null} [ranges]
   */
  set(samples, ranges) {
    this.samples = samples;
    if (ranges !== undefined) this.ranges = ranges;
    this.render();
  }

  /** @param {number} env */
  select(env) {
    this.env = env;
    this.render();
  }

  /** Redraws the table for the selected env. */
  render() {
    const s = this.samples[this.env];
    this.caption.textContent = s ? `(env ${this.env})` : '';
    this.table.replaceChildren();
    if (!s) return;
    for (const [key, value] of Object.entries(s)) {
      const tr = document.createElement('tr');
      tr.dataset.key = key;
      const range = this.rangeOf(key);
      tr.append(cell(key), cell(format(value), 'v'), cell(UNITS[key] ?? '', 'u'), cell(range ? `${format(range[0])}–${format(range[1])}` : '', 'r'));
      this.table.appendChild(tr);
    }
  }

  /** The range `key` was drawn from, where one applies. @param {string} key @returns {number[] | null} */
  rangeOf(key) {
    if (!this.ranges) return null;
    if (key.startsWith('gravity_')) return null;
    return this.ranges[key] ?? null;
  }
}

/** A sample value as the panel prints it: whole numbers as they are, others to 4 significant digits. @param {number} v */
export function format(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0 || Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(4)).toString();
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}
