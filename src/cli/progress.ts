/**
 * Progress of long work: a bar on a TTY (cli-progress), periodic plain lines otherwise (logs,
 * CI), both on stderr so stdout stays clean for `--json`.
 */
import cliProgress from 'cli-progress';

/**
 * Named values shown after the bar, e.g. return and steps/s; null for a figure that does not exist
 * yet (the mean return before any episode has ended), shown as `–`.
 */
export type ProgressFields = Record<string, string | number | null>;

/** A running progress display: `update` as work is done, `stop` once at the end. */
export interface Progress {
  update(done: number, fields: ProgressFields): void;
  stop(): void;
}

/** What a field shows while its figure does not exist yet. */
export const NO_FIGURE = '–';

/**
 * A progress display over `total` units (`unit` names them), `start` of them already done before
 * this process (a resumed run: the rate and ETA count only what this process does). Without a
 * TTY a line is printed at most every `lineEveryS` seconds, and at the end unless the last update
 * was already printed.
 */
export function createProgress(label: string, total: number, unit: string, o: { start?: number; lineEveryS?: number } = {}): Progress {
  const start = o.start ?? 0, lineEveryS = o.lineEveryS ?? 5;
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {fields} | ETA {eta_text}`,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    const t0 = Date.now();
    // drawn from the next turn of the event loop, so that lines said right after creating it
    // (the run directory) come first rather than glued to the end of a half-drawn bar
    let started = false, stopped = false;
    const begin = () => {
      if (started || stopped) return;
      started = true;
      bar.start(total, start, { fields: NO_FIGURE, eta_text: NO_FIGURE });
    };
    const drawSoon = setImmediate(begin);
    return {
      update: (done, fields) => {
        begin();
        if (!stopped) bar.update(Math.min(done, total), { fields: formatFields(fields), eta_text: etaText(t0, start, done, total) });
      },
      stop: () => {
        clearImmediate(drawSoon);
        if (started && !stopped) bar.stop();
        stopped = true;
      },
    };
  }
  const t0 = Date.now();
  let lastLine = 0;
  // the latest update not printed yet
  let pending: { done: number; fields: ProgressFields } | null = null;
  const line = (done: number, fields: ProgressFields) => {
    const elapsed = (Date.now() - t0) / 1000;
    process.stderr.write(`${label}: ${done}/${total} ${unit} (${((100 * done) / total).toFixed(0)}%) | ${formatFields(fields)} | ${elapsed.toFixed(0)} s, ETA ${etaText(t0, start, done, total)}\n`);
  };
  return {
    update(done, fields) {
      pending = { done, fields };
      if (Date.now() - lastLine >= lineEveryS * 1000) {
        lastLine = Date.now();
        line(done, fields);
        pending = null;
      }
    },
    stop() {
      if (pending) line(pending.done, pending.fields);
      pending = null;
    },
  };
}

/** Time left at this process's rate since `t0` (a resumed run's earlier units excluded); `–` before any progress. */
function etaText(t0: number, start: number, done: number, total: number): string {
  if (done <= start) return NO_FIGURE;
  return `${(((Date.now() - t0) / 1000) * (total - done) / (done - start)).toFixed(0)} s`;
}

function formatFields(f: ProgressFields): string {
  return Object.entries(f).map(([k, v]) => `${k} ${v === null ? NO_FIGURE : typeof v === 'number' ? fmt(v) : v}`).join(' | ');
}

/** Counts as integers; other figures to about four significant digits. */
function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toString() : a >= 10 ? v.toFixed(1) : v.toFixed(3);
}
