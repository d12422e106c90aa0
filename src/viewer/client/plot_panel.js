/**
 * `PlotPanel`: one live uPlot line chart of a few named signals over the last `window` points,
 * redrawn at most once per animation frame.
 */
import uPlot from 'uplot';

const COLORS = ['#4f7cc4', '#e0853a', '#59a65a', '#c4534f', '#8a6cc4', '#3aa7b0', '#b89a3a', '#c45f9e', '#555', '#9ab'];

/** A scrolling chart. Call `dispose()` to remove it. */
export class PlotPanel {
  /**
   * @param {HTMLElement} parent where the chart goes
   * @param {string} title heading above the chart
   * @param {string[]} labels one series per label
   * @param {{width?: number, height?: number, window?: number, xLabel?: string}} [opts]
   */
  constructor(parent, title, labels, opts = {}) {
    this.window = opts.window ?? 300;
    this.root = document.createElement('div');
    this.root.className = 'plot';
    const head = document.createElement('div');
    head.className = 'title';
    head.textContent = title;
    this.root.appendChild(head);
    parent.appendChild(this.root);
    this.labels = labels;
    /** @type {number[][]} x then one array per series */
    this.data = [[], ...labels.map(() => [])];
    this.chart = new uPlot({
      width: opts.width ?? 320,
      height: opts.height ?? 130,
      legend: { show: labels.length <= 8, live: false },
      cursor: { show: false },
      scales: { x: { time: false } },
      axes: [{ size: 28, label: undefined }, { size: 44 }],
      series: [{ label: opts.xLabel ?? 'step' }, ...labels.map((l, i) => ({ label: l, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true }))],
    }, this.data, this.root);
    this.pending = false;
  }

  /**
   * Appends one point per series (null: no value).
   * @param {number} x
   * @param {ArrayLike<number | null>} values
   */
  push(x, values) {
    const d = this.data;
    d[0].push(x);
    for (let i = 0; i < this.labels.length; i++) d[i + 1].push(values[i] ?? null);
    if (d[0].length > this.window) for (const a of d) a.shift();
    this.schedule();
  }

  /** Removes every point. */
  clear() {
    for (const a of this.data) a.length = 0;
    this.schedule();
  }

  /** Redraws on the next animation frame (once, however many points arrived). */
  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      if (this.chart) this.chart.setData(this.data);
    });
  }

  /** Destroys the chart and removes its element. */
  dispose() {
    this.chart.destroy();
    this.chart = null;
    this.root.remove();
  }
}
