/** A test client for the viewer's WebSocket: collects messages and waits for ones that match. */
import WebSocket from 'ws';

export type Msg = { type: string } & Record<string, any>;

export class TestClient {
  readonly messages: Msg[] = [];
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void; from: number }[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  static async connect(port: number, headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
    const c = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return c;
  }

  /** The next message (from now on) that satisfies `pred`. */
  next(pred: (m: Msg) => boolean): Promise<Msg> {
    return new Promise((resolve) => this.waiters.push({ pred, resolve, from: this.messages.length }));
  }

  /** The first message so far, or the next one, that satisfies `pred`. */
  seen(pred: (m: Msg) => boolean): Promise<Msg> {
    const m = this.messages.find(pred);
    return m ? Promise.resolve(m) : this.next(pred);
  }

  send(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Sends `m` and resolves with the next message matching `pred`. */
  request(m: unknown, pred: (m: Msg) => boolean): Promise<Msg> {
    const p = this.next(pred);
    this.send(m);
    return p;
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Tries a WebSocket upgrade with the given headers (an `origin`, a `host`): resolves with the
 * open socket, or with the HTTP status the server refused it with.
 */
export function tryUpgrade(port: number, headers: Record<string, string>, path = '/ws'): Promise<{ ws: WebSocket } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** The HTTP status a WebSocket upgrade with these headers is refused with, or 'open' (the socket is then closed). */
export async function upgradeStatus(port: number, headers: Record<string, string>): Promise<number | 'open'> {
  const r = await tryUpgrade(port, headers);
  if ('status' in r) return r.status;
  r.ws.close();
  return 'open';
}
