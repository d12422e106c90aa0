/**
 * `MetricsPanel`: a run's learning curves from metrics.jsonl (mean return, mean episode length,
 * and one diagnostic the user picks), growing as training appends rows.
 */
import { PlotPanel } from './plot_panel.js';

const FIXED = ['mean_return', 'mean_length'];

/** The training dashboard. Call `dispose()` to remove its charts. */
export class MetricsPanel {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {Record<string, number | null>[]} */
    this.rows = [];
    this.picker = document.createElement('select');
    this.picker.addEventListener('change', () => this.rebuild());
    this.charts = [];
    this.extraKey = '';
  }

  /**
   * Adds rows (or replaces them all when `reset`).
   * @param {Record<string, number | null>[]} rows @param {boolean} reset
   */
  add(rows, reset) {
    if (reset) this.rows = [];
    this.rows.push(...rows);
    const keys = this.keys();
    if (reset || keys.length !== this.picker.options.length) this.fillPicker(keys);
    if (reset || this.charts.length === 0) this.rebuild();
    else for (const r of rows) this.plotRow(r);
  }

  /** Numeric keys other than the x axis. @returns {string[]} */
  keys() {
    const set = new Set();
    for (const r of this.rows) for (const k of Object.keys(r)) if (k !== 'iteration' && k !== 'env_steps') set.add(k);
    return [...set];
  }

  /** @param {string[]} keys */
  fillPicker(keys) {
    const current = this.picker.value || (keys.includes('approx_kl') ? 'approx_kl' : keys.find((k) => !FIXED.includes(k)) ?? '');
    this.picker.replaceChildren(...keys.filter((k) => !FIXED.includes(k)).map((k) => new Option(k, k)));
    this.picker.value = current;
  }

  /** Recreates the charts (after a reset or another diagnostic was picked) and replots every row. */
  rebuild() {
    for (const c of this.charts) c.dispose();
    this.root.replaceChildren();
    const label = document.createElement('label');
    label.append('also plot ', this.picker);
    this.extraKey = this.picker.value;
    this.charts = [...FIXED, this.extraKey].filter(Boolean).map((k) => new PlotPanel(this.root, k, [k], { window: 100_000, xLabel: 'env steps' }));
    this.root.appendChild(label);
    for (const r of this.rows) this.plotRow(r);
  }

  /** Adds one row's point to each chart. @param {Record<string, number | null>} r */
  plotRow(r) {
    const x = r.env_steps ?? r.iteration ?? 0;
    [...FIXED, this.extraKey].filter(Boolean).forEach((k, i) => this.charts[i]?.push(x, [r[k] ?? null]));
  }

  /** Removes the charts. */
  dispose() {
    for (const c of this.charts) c.dispose();
    this.charts = [];
  }
}
