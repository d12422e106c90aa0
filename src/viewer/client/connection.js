/**
 * `Connection`: the page's WebSocket to the viewer server, JSON both ways (docs/viewer.md).
 */

/** The socket to the server; messages go to `onMessage`. */
export class Connection {
  /**
   * @param {(msg: {type: string} & Record<string, any>) => void} onMessage
   * @param {(connected: boolean) => void} onState
   */
  constructor(onMessage, onState) {
    const url = new URL('/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.ws = new WebSocket(url);
    this.ws.addEventListener('open', () => onState(true));
    this.ws.addEventListener('close', () => onState(false));
    this.ws.addEventListener('message', (e) => onMessage(JSON.parse(e.data)));
  }

  /** Sends one message (dropped while not connected). @param {object} msg */
  send(msg) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** Closes the socket. */
  close() {
    this.ws.close();
  }
}
