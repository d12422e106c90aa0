/**
 * One connection's share of the server log: at most `linesPerS` lines a second (burst of
 * `burst`); lines beyond are counted, not written, and the count is logged in one line when
 * logging resumes or the connection closes. A client that makes the safety layer reject every
 * frame cannot turn that into a flood of synchronous writes to stderr; the counters in
 * `status` and `stats()` still count every intervention.
 */
import type { Clock } from './safety.ts';
import { TokenBucket } from './token_bucket.ts';

/** A rate-limited log sink. */
export class LogThrottle {
  /** Lines not written since the connection opened. */
  suppressedTotal = 0;
  private suppressed = 0;
  private readonly bucket: TokenBucket;

  /** `out` takes each line written; `peer` names the connection in the summary line. */
  constructor(private readonly out: (line: string) => void, private readonly peer: string, readonly linesPerS: number, burst: number, clock: Clock) {
    this.bucket = new TokenBucket(linesPerS, burst, clock);
  }

  /** Writes `line` when the budget allows, else counts it. */
  line(line: string): void {
    if (!this.bucket.take(1)) {
      this.suppressed++;
      this.suppressedTotal++;
      return;
    }
    this.flush();
    this.out(line);
  }

  /** Logs how many lines were left out since the last line written, if any. */
  flush(): void {
    if (this.suppressed === 0) return;
    this.out(`${this.peer}: ${this.suppressed} more log lines of this connection left out (over ${this.linesPerS} a second)`);
    this.suppressed = 0;
  }
}
