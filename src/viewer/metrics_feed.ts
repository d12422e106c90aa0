/**
 * `MetricsFeed`: follows a training run's metrics.jsonl while training appends to it, and hands
 * the page the new rows (or all rows again when the file was cut, as a resumed run does).
 */
import { statSync } from 'node:fs';

/** A metrics row as the page plots it: numeric fields, null where a value was not finite. */
export type MetricsRow = Record<string, number | null>;

/** Reads every complete row of a metrics file (the run directory's reader). */
export type MetricsReader = (file: string) => Record<string, unknown>[];

/** Polls one metrics file; call `dispose()` to stop. */
export class MetricsFeed {
  private rows: MetricsRow[] = [];
  private stamp = '';
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param onRows called with the rows to add (`reset`: replace everything shown)
   * @param onError called with a message when the file cannot be read
   */
  constructor(
    readonly file: string,
    private readonly read: MetricsReader,
    private readonly onRows: (rows: MetricsRow[], reset: boolean) => void,
    private readonly onError: (message: string) => void,
    pollMs = 1000,
  ) {
    this.poll();
    this.timer = setInterval(() => this.poll(), pollMs);
    this.timer.unref();
  }

  /** Every row read so far (for a page that connects later). */
  all(): MetricsRow[] {
    return this.rows;
  }

  /** Reads the file again if its size or time changed. */
  poll(): void {
    let stamp: string;
    try {
      const st = statSync(this.file);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      stamp = 'missing';
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    if (stamp === 'missing') return;
    let rows: MetricsRow[];
    try {
      rows = this.read(this.file).map(numericFields);
    } catch (e) {
      this.onError(e instanceof Error ? e.message : String(e));
      return;
    }
    const cut = rows.length < this.rows.length || rows.some((r, i) => i < this.rows.length && r.iteration !== this.rows[i]?.iteration);
    const fresh = cut ? rows : rows.slice(this.rows.length);
    this.rows = rows;
    if (cut || fresh.length > 0) this.onRows(fresh, cut);
  }

  /** Stops polling. */
  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

function numericFields(row: Record<string, unknown>): MetricsRow {
  const out: MetricsRow = {};
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === 'number') out[k] = Number.isFinite(v) ? v : null;
    else if (v === null) out[k] = null;
  }
  return out;
}
