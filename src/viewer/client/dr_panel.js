/**
 * `DrPanel`: the selected env's sampled domain-randomization values, with their units and the
 * ranges they were drawn from, all as the server sent them (the scene message's `drKeys` and
 * `drRanges`, from the declarations in src/task): the page restates no unit or key.
 */

/** A table of one env's randomization sample. */
export class DrPanel {
  /** @param {HTMLTableElement} table @param {HTMLElement} caption */
  constructor(table, caption) {
    this.table = table;
    this.caption = caption;
    /** @type {Record<string, number>[]} */
    this.samples = [];
    /** @type {Record<string, number[]> | null} */
    this.ranges = null;
    /** @type {Map<string, { name: string, unit: string, description: string, drawnFrom: string | null }>} */
    this.labels = new Map();
    this.env = 0;
  }

  /**
   * A new scene: its samples (one per env), the ranges (live sessions) and the sample keys' labels.
   * @param {{ dr: Record<string, number>[], drRanges: Record<string, number[]> | null, drKeys?: { name: string, unit: string, description: string, drawnFrom: string | null }[] }} scene
   */
  setScene(scene) {
    this.labels = new Map((scene.drKeys ?? []).map((l) => [l.name, l]));
    this.set(scene.dr, scene.drRanges);
  }

  /**
   * New samples (one per env) and, when given, the ranges.
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
      const label = this.labels.get(key);
      if (label) tr.title = label.description;
      const range = this.rangeOf(key);
      tr.append(cell(key), cell(format(value), 'v'), cell(label?.unit ?? '', 'u'), cell(range ? `${format(range[0])}–${format(range[1])}` : '', 'r'));
      this.table.appendChild(tr);
    }
  }

  /** The range `key` was drawn from, where one applies. @param {string} key @returns {number[] | null} */
  rangeOf(key) {
    const from = this.labels.get(key)?.drawnFrom;
    if (!this.ranges || !from) return null;
    return this.ranges[from] ?? null;
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
