/**
 * `PageHub`: the viewer's connected pages. It accepts a WebSocket upgrade only from the
 * viewer's own page and address (`UpgradeGuard`) and only while fewer than `maxClients` pages
 * are connected, caps the size of what a page may send (`maxMessageBytes`: a bigger message
 * closes that page's connection with code 1009, the others go on), and sends to each page
 * through its bounded buffer (`PageConnection`), where frames, status and samples are replaceable.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { PageConnection, type PageConnectionStats } from './page_connection.ts';
import { refuseUpgrade, type UpgradeGuard } from './upgrade_guard.ts';
import type { ServerMessage } from './protocol.ts';
import type { ViewerLimits } from './viewer_limits.ts';

/** Messages that carry a whole state: a newer one makes an unsent older one useless. */
const REPLACEABLE: ReadonlySet<ServerMessage['type']> = new Set(['frame', 'status', 'dr']);

/** Least time between two terminal lines about refused upgrades. */
const REFUSAL_LOG_INTERVAL_MS = 1000;

/** What the hub asks of the server it belongs to. */
export interface PageHubHandlers {
  /** Everything a page needs to show the current state, in order (sent on connect and on a resync). */
  greeting(): ServerMessage[];
  /** A text message from a page (null: a binary one). */
  message(page: PageConnection, text: string | null): void;
  /** One line for the terminal. */
  log(line: string): void;
}

/** The set of connected pages and the rules for joining it. */
export class PageHub {
  private readonly wss: WebSocketServer;
  private readonly pages = new Set<PageConnection>();
  private lastRefusalLogMs = -Infinity;
  private unloggedRefusals = 0;

  constructor(http: Server, private readonly guard: UpgradeGuard, private readonly limits: ViewerLimits, private readonly on: PageHubHandlers) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, perMessageDeflate: false });
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  /** Pages connected now. */
  get size(): number {
    return this.pages.size;
  }

  /** What each connection is holding (diagnostics and tests). */
  stats(): PageConnectionStats[] {
    return [...this.pages].map((p) => p.stats);
  }

  /** Sends `m` to every page; frames may be skipped for a page that is behind. */
  broadcast(m: ServerMessage): void {
    if (this.pages.size === 0) return;
    const text = JSON.stringify(m);
    const now = performance.now();
    for (const p of this.pages) {
      if (REPLACEABLE.has(m.type)) p.sendReplaceable(m.type, text);
      else p.send(text, now);
    }
  }

  /** Sends `m` to one page. */
  send(page: PageConnection, m: ServerMessage): void {
    page.send(JSON.stringify(m), performance.now());
  }

  /** Flushes kept frames, resyncs pages that drained, disconnects pages stalled for too long. Call every tick. */
  poll(): void {
    const now = performance.now();
    let greeting: string[] | null = null;
    const greet = () => (greeting ??= this.on.greeting().map((m) => JSON.stringify(m)));
    for (const p of this.pages) {
      if (p.poll(now, greet) !== 'stalled') continue;
      this.on.log(`disconnected a page that stopped reading (${p.bufferedBytes} bytes unsent for over ${this.limits.stallMs} ms)`);
      this.drop(p);
      p.ws.terminate();
    }
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    for (const p of this.pages) p.ws.terminate();
    this.pages.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  // -- joining

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refused = this.guard.checkUpgrade(req) ??
      (this.pages.size >= this.limits.maxClients ? { status: 503, reason: `the viewer already has ${this.limits.maxClients} pages connected` } : null);
    if (refused) {
      this.logRefusal(refused.reason);
      refuseUpgrade(socket, refused);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.join(ws));
  }

  private join(ws: WebSocket): void {
    const page = new PageConnection(ws, this.limits);
    this.pages.add(page);
    ws.on('close', () => this.drop(page));
    ws.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.on.log(`closed a page's connection: it sent a message over ${this.limits.maxMessageBytes} bytes (close code 1009)`);
      this.drop(page);
    });
    for (const m of this.on.greeting()) this.send(page, m);
    ws.on('message', (data, isBinary) => this.on.message(page, isBinary ? null : String(data)));
  }

  /** One terminal line per refusal, at most one a second (a hostile page could retry without end). */
  private logRefusal(reason: string): void {
    const now = performance.now();
    if (now - this.lastRefusalLogMs < REFUSAL_LOG_INTERVAL_MS) {
      this.unloggedRefusals++;
      return;
    }
    const more = this.unloggedRefusals > 0 ? ` (and ${this.unloggedRefusals} more refused since the last line)` : '';
    this.on.log(`refused a WebSocket: ${reason}${more}`);
    this.lastRefusalLogMs = now;
    this.unloggedRefusals = 0;
  }

  private drop(page: PageConnection): void {
    this.pages.delete(page);
  }
}
