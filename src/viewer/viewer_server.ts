/**
 * `ViewerServer`: the debugger's HTTP + WebSocket server on loopback. It serves the page, runs
 * one session at a time (a live simulation or a recording), steps it in real time times a speed
 * factor while playing, and streams scene, frame and status messages to every connected page.
 * Bad input (an unknown env, a policy that does not fit, a corrupt recording, a malformed
 * message) is reported on the page and through `log`; the server keeps running. Only the
 * viewer's own page and address are answered (`UpgradeGuard`), and a page can load only the
 * tasks it is offered, never a file of its choosing; what one page may send or make the server
 * hold is bounded (`ViewerLimits`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { effectiveRanges } from '../task/randomize.ts';
import { resolveTask, taskOnRobot } from '../task/task_registry.ts';
import { LiveSession } from './live_session.ts';
import { ReplaySession } from './replay_session.ts';
import { readRecording } from '../robot/recording.ts';
import { serveStatic } from './static_files.ts';
import { MetricsFeed, type MetricsReader } from './metrics_feed.ts';
import { parseClientMessage, type ClientMessage, type ServerMessage } from './protocol.ts';
import type { PolicyLoader, ViewerPolicy, ViewerSession } from './session.ts';
import { PageHub } from './page_hub.ts';
import type { PageConnection, PageConnectionStats } from './page_connection.ts';
import { UpgradeGuard } from './upgrade_guard.ts';
import { resolveViewerLimits, type ViewerLimits } from './viewer_limits.ts';

/** How the server is set up. */
export interface ViewerServerOptions {
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /** Port (0: any free port). */
  port: number;
  /** Envs per live session. */
  numEnvs: number;
  seed: number;
  /** Sample randomization from the task's (or policy's) ranges; false: nominal dynamics. */
  randomize: boolean;
  /** Loads the user's policy for a task (absent: zero / random actions only). */
  loadPolicy?: PolicyLoader;
  /** A run's metrics.jsonl to plot live, with the reader for it. */
  metrics?: { file: string; read: MetricsReader };
  /** Task names the page offers: the only ones a page may load (besides those `loadEnv` was given). */
  tasks: string[];
  /** The operator's `--robot`: task reference `env` runs on the robot contract `file` instead of its own. */
  robot?: { env: string; file: string };
  /** Terminal output (errors and notices), one line each. */
  log?: (line: string) => void;
  /** Start playing as soon as a session is loaded (default true). */
  autoplay?: boolean;
  /** Resource limits (default `DEFAULT_VIEWER_LIMITS`). */
  limits?: Partial<ViewerLimits>;
}

/** Milliseconds between loop ticks (about the display rate). */
const TICK_MS = 1000 / 60;
/** Most control steps one tick runs, so a slow policy cannot make the loop fall ever further behind. */
const MAX_STEPS_PER_TICK = 32;

/** The running viewer; `close()` stops it. */
export class ViewerServer {
  private session: ViewerSession | null = null;
  private playing = false;
  private speed = 1;
  private contacts = false;
  private lastError: string | null = null;
  private debtS = 0;
  private lastTick = performance.now();
  private queue: Promise<void> = Promise.resolve();
  private ticking = false;
  private readonly pages: PageHub;
  private readonly limits: ViewerLimits;
  /** What a page's `load` may name → the reference to load: the offered task names, and what `loadEnv` was given. */
  private readonly loadable = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private metrics: MetricsFeed | null = null;

  private constructor(private readonly http: Server, private readonly opts: ViewerServerOptions) {
    this.limits = resolveViewerLimits(opts.limits);
    for (const name of opts.tasks) this.loadable.set(name, name);
    const guard = new UpgradeGuard(opts.host ?? '127.0.0.1', this.port);
    http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const refused = guard.checkHost(req);
      if (refused) res.writeHead(refused.status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${refused.reason}\n`);
      else serveStatic(req, res);
    });
    this.pages = new PageHub(http, guard, this.limits, {
      greeting: () => this.greeting(),
      message: (page, text) => this.onMessage(page, text),
      log: (line) => opts.log?.(line),
    });
    this.timer = setInterval(() => this.tick(), TICK_MS);
    if (opts.metrics) {
      const m = opts.metrics;
      this.metrics = new MetricsFeed(m.file, m.read, (rows, reset) => this.broadcast({ type: 'metrics', rows, reset }), (msg) => this.report(`metrics ${m.file}: ${msg}`));
    }
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(opts: ViewerServerOptions): Promise<ViewerServer> {
    resolveViewerLimits(opts.limits); // bad limits fail before the port is bound
    const http = createServer();
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
    });
    http.on('error', (e) => opts.log?.(`viewer: ${e.message}`));
    return new ViewerServer(http, opts);
  }

  /** The bound port. */
  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** The session being shown (null before a load succeeded). */
  get current(): ViewerSession | null {
    return this.session;
  }

  /** The last problem reported, for tests and new pages. */
  get error(): string | null {
    return this.lastError;
  }

  /** What each connected page's send buffer holds (diagnostics and tests). */
  connections(): PageConnectionStats[] {
    return this.pages.stats();
  }

  /**
   * Starts a live session of task `env` (a registered name or a task module path: this is the
   * operator's choice, from the command line); once found, pages may load it again by that
   * reference or by the task's name. Failures are reported and leave the server running. Resolves true on success.
   */
  loadEnv(env: string): Promise<boolean> {
    return this.serial(async () => {
      let task;
      try {
        task = await resolveTask(env);
        if (this.opts.robot?.env === env) task = taskOnRobot(task, this.opts.robot.file);
      } catch (e) {
        this.report(messageOf(e));
        return false;
      }
      this.loadable.set(env, env);
      this.loadable.set(task.name, env);
      let policy: ViewerPolicy | null = null;
      let policyError: string | null = null;
      if (this.opts.loadPolicy) {
        try {
          policy = await this.opts.loadPolicy(task);
        } catch (e) {
          policyError = `${messageOf(e)} — running env ${task.name} with random actions instead`;
        }
      }
      try {
        const dr = effectiveRanges(policy?.dr ?? task.dr, { randomize: this.opts.randomize });
        const live = await LiveSession.create({ task, numEnvs: this.opts.numEnvs, seed: this.opts.seed, dr, policy });
        this.clearError();
        await this.replace(live);
        if (policyError !== null) this.report(policyError);
        return true;
      } catch (e) {
        await policy?.dispose();
        this.report(`env ${task.name}: ${messageOf(e)}`);
        return false;
      }
    });
  }

  /** Plays a recording file; a corrupt file is reported and leaves the server running. Resolves true on success. */
  loadReplay(file: string): Promise<boolean> {
    return this.serial(async () => {
      let replay: ReplaySession;
      try {
        replay = new ReplaySession(readRecording(file), file);
      } catch (e) {
        this.report(messageOf(e));
        return false;
      }
      this.clearError();
      await this.replace(replay);
      return true;
    });
  }

  /** Stops the loop, closes every connection and the port, frees the session. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.metrics?.dispose();
    await this.queue;
    await this.pages.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.session?.dispose();
    this.session = null;
  }

  // -- sessions and the loop

  private async replace(next: ViewerSession): Promise<void> {
    const old = this.session;
    this.session = next;
    await old?.dispose();
    this.playing = this.opts.autoplay ?? true;
    this.debtS = 0;
    this.broadcast(next.scene());
    this.broadcast(next.frame(this.contacts));
    this.broadcast(this.status());
  }

  /** One loop tick: runs the control steps real time (times speed) asks for, then sends the newest frame. */
  private tick(): void {
    const now = performance.now();
    const elapsedS = (now - this.lastTick) / 1000;
    this.lastTick = now;
    this.pages.poll();
    const s = this.session;
    // nobody watching: hold still rather than burn the CPU
    if (!this.playing || s === null || this.ticking || this.pages.size === 0) return;
    this.debtS = Math.min(this.debtS + elapsedS * this.speed, MAX_STEPS_PER_TICK * s.controlDtS);
    const n = Math.floor(this.debtS / s.controlDtS);
    if (n === 0) return;
    this.debtS -= n * s.controlDtS;
    this.ticking = true;
    void this.serial(async () => {
      await this.run(s, n);
    }).finally(() => {
      this.ticking = false;
    });
  }

  /** Advances `s` by up to `n` steps and streams the result; errors pause and are reported. */
  private async run(s: ViewerSession, n: number): Promise<void> {
    if (s !== this.session) return;
    let resets = false;
    try {
      for (let k = 0; k < n; k++) {
        if (!(await s.advance())) {
          this.playing = false;
          break;
        }
        if (s instanceof LiveSession && s.anyDone()) resets = true;
      }
    } catch (e) {
      this.playing = false;
      this.report(`stepping stopped: ${messageOf(e)}`);
    }
    if (s !== this.session) return;
    this.broadcast(s.frame(this.contacts));
    if (resets && s instanceof LiveSession) this.broadcast({ type: 'dr', dr: s.drSamples() });
    if (!this.playing) this.broadcast(this.status());
  }

  /** Runs `fn` after everything queued before it (sessions are never used by two things at once). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.then(() => undefined, () => undefined);
    return p;
  }

  // -- connections and messages

  /** Everything a page needs to show the current state: sent when it connects, and again after it fell behind. */
  private greeting(): ServerMessage[] {
    const s = this.session;
    const out: ServerMessage[] = [{ type: 'hello', tasks: this.opts.tasks, mode: s ? s.mode : 'idle', metrics: this.metrics !== null }];
    if (s) out.push(s.scene(), s.frame(this.contacts));
    out.push(this.status());
    if (this.lastError !== null) out.push({ type: 'error', message: this.lastError });
    if (this.metrics) out.push({ type: 'metrics', rows: this.metrics.all(), reset: true });
    return out;
  }

  private onMessage(page: PageConnection, text: string | null): void {
    if (text === null) {
      this.pages.send(page, { type: 'error', message: 'binary messages are not understood; send JSON text' });
      return;
    }
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(text, this.limits.maxNameChars);
    } catch (e) {
      this.pages.send(page, { type: 'error', message: `bad message: ${messageOf(e)}` });
      return;
    }
    void this.handle(msg).catch((e: unknown) => this.report(messageOf(e)));
  }

  private async handle(m: ClientMessage): Promise<void> {
    if (m.type === 'load') {
      // a page names a task it was offered; it never hands the server a file to import
      const ref = this.loadable.get(m.env);
      if (ref === undefined) this.report(`load: unknown env ${JSON.stringify(m.env)} (this viewer loads: ${[...this.loadable.keys()].join(', ')})`);
      else await this.loadEnv(ref);
      return;
    }
    await this.serial(async () => this.control(m));
    this.broadcast(this.status());
  }

  /** Applies a control message to the current session. */
  private async control(m: Exclude<ClientMessage, { type: 'load' }>): Promise<void> {
    const s = this.session;
    if (m.type === 'speed') this.speed = m.value;
    else if (m.type === 'contacts') this.contacts = m.on;
    else if (m.type === 'play') {
      this.playing = s !== null;
      // a replay that reached its end plays again from the start
      if (s instanceof ReplaySession && s.step >= s.steps - 1) s.reset();
    }
    else if (m.type === 'pause') this.playing = false;
    if (s === null) {
      if (!['speed', 'contacts', 'pause'].includes(m.type)) this.report(`${m.type}: nothing is loaded (pick an env)`);
      return;
    }
    switch (m.type) {
      case 'step':
        this.playing = false;
        await this.run(s, m.count);
        return;
      case 'reset':
        s.reset();
        break;
      case 'actions':
        if (!(s instanceof LiveSession)) throw new Error('actions: a replay plays the recorded actions');
        s.setActionMode(m.mode);
        this.broadcast(s.scene());
        break;
      case 'push':
        if (!(s instanceof LiveSession)) throw new Error('push: a replay cannot be pushed');
        s.push(m.env, m.body, m.velocity);
        return;
      case 'seek':
      case 'episode':
        if (!(s instanceof ReplaySession)) throw new Error(`${m.type}: only a replay has a timeline`);
        if (m.type === 'seek') s.seek(m.step);
        else {
          s.selectEpisode(m.index);
          this.broadcast(s.scene());
        }
        break;
      default:
        return;
    }
    this.broadcast(s.frame(this.contacts));
    if (m.type === 'reset' && s instanceof LiveSession) this.broadcast({ type: 'dr', dr: s.drSamples() });
  }

  private status(): ServerMessage {
    const s = this.session;
    return {
      type: 'status', playing: this.playing, speed: this.speed, step: s?.step ?? 0, actionMode: s?.actionMode ?? 'random',
      contacts: this.contacts, ...(s?.steps != null ? { steps: s.steps } : {}),
    };
  }

  /** Shows `message` on every page and in the terminal, and keeps it for pages that connect later. */
  private report(message: string): void {
    this.lastError = message;
    this.opts.log?.(message);
    this.broadcast({ type: 'error', message });
  }

  private clearError(): void {
    if (this.lastError === null) return;
    this.lastError = null;
    this.broadcast({ type: 'error', message: '' });
  }

  private broadcast(m: ServerMessage): void {
    this.pages.broadcast(m);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
