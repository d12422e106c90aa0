/**
 * Progress of long work: a bar on a TTY (cli-progress), periodic plain lines otherwise (logs,
 * CI), both on stderr so stdout stays clean for `--json`.
 */
import cliProgress from 'cli-progress';

/** Named values shown after the bar, e.g. return and steps/s. */
export type ProgressFields = Record<string, string | number>;

export interface Progress {
  update(done: number, fields: ProgressFields): void;
  stop(): void;
}

/**
 * A progress display over `total` units (`unit` names them), `start` of them already done before
 * this process (a resumed run: the rate and ETA count only what this process does). Without a
 * TTY a line is printed at most every `lineEveryS` seconds and at the end.
 */
export function createProgress(label: string, total: number, unit: string, o: { start?: number; lineEveryS?: number } = {}): Progress {
  const start = o.start ?? 0, lineEveryS = o.lineEveryS ?? 5;
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {fields} | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 20,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, start, { fields: '' });
    let stopped = false;
    return {
      update: (done, fields) => bar.update(Math.min(done, total), { fields: formatFields(fields) }),
      stop: () => {
        if (!stopped) bar.stop();
        stopped = true;
      },
    };
  }
  const t0 = Date.now();
  let lastLine = 0;
  let last: { done: number; fields: ProgressFields } | null = null;
  const line = (done: number, fields: ProgressFields) => {
    const elapsed = (Date.now() - t0) / 1000;
    const eta = done > start ? (elapsed * (total - done)) / (done - start) : NaN;
    process.stderr.write(`${label}: ${done}/${total} ${unit} (${((100 * done) / total).toFixed(0)}%) | ${formatFields(fields)} | ${elapsed.toFixed(0)} s, ETA ${Number.isFinite(eta) ? eta.toFixed(0) : '?'} s\n`);
  };
  return {
    update(done, fields) {
      last = { done, fields };
      if (Date.now() - lastLine >= lineEveryS * 1000) {
        lastLine = Date.now();
        line(done, fields);
      }
    },
    stop() {
      if (last) line(last.done, last.fields);
      last = null;
    },
  };
}

function formatFields(f: ProgressFields): string {
  return Object.entries(f).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`).join(' | ');
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toString() : a >= 10 ? v.toFixed(1) : v.toFixed(3);
}
