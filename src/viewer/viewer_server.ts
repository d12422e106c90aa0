/**
 * `ViewerServer`: the debugger's HTTP + WebSocket server on loopback. It serves the page, runs
 * one session at a time (a live simulation or a recording), steps it in real time times a speed
 * factor while playing, and streams scene, frame and status messages to every connected page.
 * Bad input (an unknown env, a policy that does not fit, a corrupt recording, a malformed
 * message) is reported on the page and through `log`; the server keeps running.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { effectiveRanges } from '../task/randomize.ts';
import { resolveTask } from '../task/task_registry.ts';
import { LiveSession } from './live_session.ts';
import { ReplaySession } from './replay_session.ts';
import { readRecording } from './recording.ts';
import { loadStatic } from './static_files.ts';
import { MetricsFeed, type MetricsReader } from './metrics_feed.ts';
import { parseClientMessage, type ClientMessage, type ServerMessage } from './protocol.ts';
import type { PolicyLoader, ViewerPolicy, ViewerSession } from './session.ts';

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
  /** Task names the page offers. */
  tasks: string[];
  /** Terminal output (errors and notices), one line each. */
  log?: (line: string) => void;
  /** Start playing as soon as a session is loaded (default true). */
  autoplay?: boolean;
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
  private readonly clients = new Set<WebSocket>();
  private readonly timer: NodeJS.Timeout;
  private metrics: MetricsFeed | null = null;

  private constructor(private readonly http: Server, private readonly wss: WebSocketServer, private readonly opts: ViewerServerOptions) {
    wss.on('connection', (ws) => this.onConnection(ws));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    if (opts.metrics) {
      const m = opts.metrics;
      this.metrics = new MetricsFeed(m.file, m.read, (rows, reset) => this.broadcast({ type: 'metrics', rows, reset }), (msg) => this.report(`metrics ${m.file}: ${msg}`));
    }
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(opts: ViewerServerOptions): Promise<ViewerServer> {
    const http = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      void loadStatic(url.pathname).then((file) => {
        if (!file) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}\n`);
          return;
        }
        res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' }).end(file.body);
      });
    });
    const wss = new WebSocketServer({ server: http, path: '/ws' });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
    });
    http.on('error', (e) => opts.log?.(`viewer: ${e.message}`));
    return new ViewerServer(http, wss, opts);
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

  /** Starts a live session of task `env`; failures are reported and leave the server running. Resolves true on success. */
  loadEnv(env: string): Promise<boolean> {
    return this.serial(async () => {
      let task;
      try {
        task = await resolveTask(env);
      } catch (e) {
        this.report(messageOf(e));
        return false;
      }
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
    for (const ws of this.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
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
    const s = this.session;
    // nobody watching: hold still rather than burn the CPU
    if (!this.playing || s === null || this.ticking || this.clients.size === 0) return;
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

  private onConnection(ws: WebSocket): void {
    this.clients.add(ws);
    ws.on('close', () => this.clients.delete(ws));
    ws.on('error', () => this.clients.delete(ws));
    const s = this.session;
    this.send(ws, { type: 'hello', tasks: this.opts.tasks, mode: s ? s.mode : 'idle', metrics: this.metrics !== null });
    if (s) {
      this.send(ws, s.scene());
      this.send(ws, s.frame(this.contacts));
    }
    this.send(ws, this.status());
    if (this.lastError !== null) this.send(ws, { type: 'error', message: this.lastError });
    if (this.metrics) this.send(ws, { type: 'metrics', rows: this.metrics.all(), reset: true });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.send(ws, { type: 'error', message: 'binary messages are not understood; send JSON text' });
        return;
      }
      let msg: ClientMessage;
      try {
        msg = parseClientMessage(String(data));
      } catch (e) {
        this.send(ws, { type: 'error', message: `bad message: ${messageOf(e)}` });
        return;
      }
      void this.handle(msg).catch((e: unknown) => this.report(messageOf(e)));
    });
  }

  private async handle(m: ClientMessage): Promise<void> {
    if (m.type === 'load') {
      await this.loadEnv(m.env);
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
    const text = JSON.stringify(m);
    for (const ws of this.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  }

  private send(ws: WebSocket, m: ServerMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
