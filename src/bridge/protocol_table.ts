/**
 * The wire protocols the bridge speaks, by name: the one place that lists them. A connection
 * asks them, in this order, which one a frame belongs to (protocol_session.ts); the server
 * serves those whose settings are given. A new protocol is a session class implementing
 * `ProtocolSession` with the statics of `ProtocolClass`, and an entry here.
 */
import { NativeSession, type NativeSettings } from './native_session.ts';
import type { ProtocolSettings, ProtocolTable } from './protocol_session.ts';
import { RosbridgeSession } from './rosbridge.ts';

/** Protocol name → session class. */
export const PROTOCOLS = {
  native: NativeSession,
  rosbridge: RosbridgeSession,
} as const satisfies ProtocolTable;

/** A protocol the bridge ships. */
export type ProtocolName = keyof typeof PROTOCOLS;

/** Settings of the shipped protocols (`{ native: {}, rosbridge: config }`); missing or null: not served. */
export type BridgeProtocolSettings = ProtocolSettings<typeof PROTOCOLS>;

/** What a server serves when not told otherwise: the native protocol only. */
export const DEFAULT_PROTOCOL_SETTINGS: { readonly native: NativeSettings } = { native: {} };
