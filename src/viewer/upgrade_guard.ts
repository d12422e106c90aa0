/**
 * `UpgradeGuard`: who may talk to the viewer. Only its own loopback address may be named in
 * `Host` (a DNS-rebinding page names its own domain there) and only the viewer's own page may
 * open its WebSocket (a browser always sends the `Origin` of the page that opens a socket, so a
 * foreign web page is refused before the upgrade). Clients that send no `Origin` are not
 * browsers (tests, command-line tools) and are let in.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Why a request is refused: the HTTP status and one line saying why. */
export interface Refusal {
  status: number;
  reason: string;
}

/** The WebSocket's path on the server. */
export const WS_PATH = '/ws';

/** Checks `Host` and `Origin` against the addresses the viewer is served at. */
export class UpgradeGuard {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;

  /** @param listenHost the interface the server listens on; @param port the bound port. */
  constructor(listenHost: string, port: number) {
    const names = new Set(['127.0.0.1', 'localhost']);
    if (listenHost === '::1') names.add('[::1]');
    else if (listenHost !== '127.0.0.1' && listenHost !== 'localhost') names.add(listenHost.includes(':') ? `[${listenHost}]` : listenHost);
    this.hosts = new Set();
    this.origins = new Set();
    for (const name of names) {
      const lower = name.toLowerCase();
      this.hosts.add(`${lower}:${port}`);
      this.origins.add(`http://${lower}:${port}`);
      // browsers leave the default port out of both headers
      if (port === 80) {
        this.hosts.add(lower);
        this.origins.add(`http://${lower}`);
      }
    }
  }

  /** The origins a page of this viewer has (for messages and docs). */
  get allowedOrigins(): string[] {
    return [...this.origins];
  }

  /** Refuses a request whose `Host` is not this viewer's address; null when it is. */
  checkHost(req: IncomingMessage): Refusal | null {
    const host = req.headers.host;
    if (host === undefined || !this.hosts.has(host.toLowerCase())) {
      return { status: 403, reason: `Host ${JSON.stringify(clip(host ?? ''))} is not this viewer's address` };
    }
    return null;
  }

  /** Refuses a WebSocket upgrade from another origin, another Host or to another path; null when it may go ahead. */
  checkUpgrade(req: IncomingMessage): Refusal | null {
    const host = this.checkHost(req);
    if (host) return host;
    const origin = req.headers.origin;
    if (origin !== undefined && !this.origins.has(origin.toLowerCase())) {
      return { status: 403, reason: `Origin ${JSON.stringify(clip(origin))} is not this viewer's page` };
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== WS_PATH) return { status: 404, reason: `no WebSocket at ${JSON.stringify(clip(path))} (it is at ${WS_PATH})` };
    return null;
  }
}

/** Answers a refused upgrade with a plain HTTP response and closes the socket (no WebSocket is opened). */
export function refuseUpgrade(socket: Duplex, r: Refusal): void {
  const body = `${r.reason}\n`;
  const text = r.status === 403 ? 'Forbidden' : r.status === 404 ? 'Not Found' : 'Service Unavailable';
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${r.status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** At most 80 characters of a header, for messages. */
function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
