/**
 * Who may connect: the bridge listens on loopback unless given a token, and with a token every
 * WebSocket upgrade must carry it (`Authorization: Bearer <token>` or `?token=<token>`).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/** Throws unless binding `host` is allowed: a non-loopback address needs a token. */
export function checkBindAllowed(host: string, token: string | null): void {
  if (!isLoopback(host) && !token) {
    throw new Error(`listening on ${host} (not loopback) lets other machines drive the robot: give --token or --token-file`);
  }
  if (token !== null && token.length < 8) throw new Error('the token must be at least 8 characters');
}

/** The token a WebSocket upgrade request carries, from its Authorization header or `token` query parameter. */
export function requestToken(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(h.trim());
    if (m) return m[1]!;
  }
  const url = new URL(req.url ?? '/', 'http://bridge.invalid');
  return url.searchParams.get('token');
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(presented: string | null, expected: string): boolean {
  if (presented === null) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
