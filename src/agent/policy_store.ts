/**
 * The agent's policy store, a directory on the robot computer: every accepted policy as a
 * numbered version (`versions/<V>/policy.onnx` + `manifest.json`), and one index, `state.json`,
 * naming the versions, the active one, the versions to roll back to and the history of
 * activations. The index is the only commit point: a version is written under `staging/`,
 * synced, renamed into `versions/` and only then listed in a new index (written beside the old
 * one and renamed over it). A crash at any moment leaves the index as it was; what it does not
 * list (a half-written or unlisted version) is removed when the store is opened next.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { PolicyContract } from '../onnx/metadata.ts';
import { readInputFile } from '../robot/input_file.ts';
import { replaceFile, syncDir, writeNewSynced } from './durable_files.ts';
import { sha256Hex } from './signing.ts';

/** Tag of the index file. */
const STORE_FORMAT = 'sim2real.agent-store';
/** Layout version of the store this code reads and writes. */
const STORE_VERSION = 1;
/** Activation events kept in the index. */
const MAX_HISTORY = 200;
/** Largest index file read. */
const MAX_INDEX_BYTES = 4 * 1024 * 1024;

/** What the store keeps about one version beside its file (`versions/<V>/manifest.json`). */
export interface VersionManifest {
  version: number;
  /** The pushed file's base name, for people. */
  name: string;
  sha256: string;
  bytes: number;
  /** Key id of the key that signed it, and the signature (base64). */
  keyId: string;
  signature: string;
  /** When it was stored (ISO 8601, UTC). */
  storedAt: string;
  /** The policy's contract, so the interface it serves is known even when its file cannot be loaded. */
  contract: PolicyContract;
}

/** One change of the active version, as the index records it. */
export interface StoreEvent {
  at: string;
  kind: 'activate' | 'rollback' | 'auto_rollback';
  version: number;
  from: number | null;
  reason: string;
}

/** The index (`state.json`). */
interface StoreIndex {
  format: typeof STORE_FORMAT;
  formatVersion: number;
  robot: string;
  versions: number[];
  active: number | null;
  /** Versions that were active before the active one, oldest first: `rollback` returns to the last. */
  stack: number[];
  nextVersion: number;
  history: StoreEvent[];
}

/** A stored version's bytes and manifest. */
export interface StoredPolicy {
  bytes: Buffer;
  manifest: VersionManifest;
}

/** A store directory opened for one robot. */
export class PolicyStore {
  private index: StoreIndex;
  private readonly manifests = new Map<number, VersionManifest>();

  private constructor(readonly dir: string, index: StoreIndex, private readonly maxBytes: number, private readonly keep: number) {
    this.index = index;
  }

  /**
   * Opens (or creates) the store in `dir` for robot `robot`: removes what a crash left unlisted,
   * and refuses a store made for another robot. `maxBytes` bounds a policy file read back;
   * `keep` is how many versions are kept (the oldest inactive ones go first).
   */
  static open(dir: string, robot: string, opts: { maxBytes: number; keep: number }): PolicyStore {
    mkdirSync(path.join(dir, 'versions'), { recursive: true, mode: 0o700 });
    mkdirSync(path.join(dir, 'staging'), { recursive: true, mode: 0o700 });
    const indexFile = path.join(dir, 'state.json');
    const index = existsSync(indexFile) ? readIndex(indexFile) : emptyIndex(robot);
    if (index.robot !== robot) throw new Error(`store ${dir} holds policies for robot ${index.robot}, not ${robot}: give another --store`);
    const store = new PolicyStore(dir, index, opts.maxBytes, opts.keep);
    store.sweep();
    for (const v of index.versions) store.manifests.set(v, readManifest(store.versionDir(v)));
    return store;
  }

  /** The active version, or null. */
  get active(): number | null {
    return this.index.active;
  }

  /** The version `rollback` returns to, or null. */
  get previous(): number | null {
    return this.index.stack.at(-1) ?? null;
  }

  /** Every stored version's manifest, oldest first. */
  list(): VersionManifest[] {
    return this.index.versions.map((v) => this.manifest(v));
  }

  /** The activation history, oldest first. */
  history(): StoreEvent[] {
    return this.index.history.map((e) => ({ ...e }));
  }

  /** Whether version `v` is stored. */
  has(v: number): boolean {
    return this.manifests.has(v);
  }

  /** Version `v`'s manifest (throws when it is not stored). */
  manifest(v: number): VersionManifest {
    const m = this.manifests.get(v);
    if (!m) throw new Error(`version ${v} is not in the store (stored: ${this.index.versions.join(', ') || 'none'})`);
    return m;
  }

  /** Reads version `v` back, checking its bytes against the manifest's SHA-256 (a damaged file is an error). */
  read(v: number): StoredPolicy {
    const manifest = this.manifest(v);
    const file = path.join(this.versionDir(v), 'policy.onnx');
    let bytes: Buffer;
    try {
      bytes = readInputFile(file, this.maxBytes);
    } catch (e) {
      throw new Error(`version ${v}: ${file}: ${(e as Error).message}`);
    }
    if (bytes.length !== manifest.bytes || sha256Hex(bytes) !== manifest.sha256) throw new Error(`version ${v}: ${file} no longer matches its SHA-256 (the file on disk is damaged)`);
    return { bytes, manifest };
  }

  /**
   * Stores `bytes` as a new version (not active); resolves with its manifest once the index lists
   * it. One change at a time: the agent does not start another before this one settled.
   */
  async add(bytes: Uint8Array, m: Omit<VersionManifest, 'version' | 'storedAt' | 'bytes' | 'sha256'>): Promise<VersionManifest> {
    const version = this.index.nextVersion;
    const manifest: VersionManifest = { version, name: m.name, sha256: sha256Hex(bytes), bytes: bytes.length, keyId: m.keyId, signature: m.signature, storedAt: new Date().toISOString(), contract: m.contract };
    const staging = path.join(this.dir, 'staging', `${version}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(staging, { mode: 0o700 });
      await writeNewSynced(path.join(staging, 'policy.onnx'), bytes);
      await writeNewSynced(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      await syncDir(staging);
      await rename(staging, this.versionDir(version));
      await syncDir(path.join(this.dir, 'versions'));
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      throw new Error(`store ${this.dir}: cannot write version ${version}: ${(e as Error).message}`);
    }
    await this.commit({ ...this.index, versions: [...this.index.versions, version], nextVersion: version + 1 });
    this.manifests.set(version, manifest);
    await this.prune();
    return manifest;
  }

  /**
   * Makes `v` the active version and records why. `activate` (a push, `--to-version`) puts the
   * version it replaces on the rollback stack; a rollback takes the stack's top off instead.
   */
  async setActive(v: number, kind: StoreEvent['kind'], reason: string): Promise<StoreEvent> {
    this.manifest(v);
    const from = this.index.active;
    const stack = [...this.index.stack];
    if (kind === 'activate') {
      if (from !== null && from !== v) stack.push(from);
    } else {
      if (stack.at(-1) !== v) throw new Error(`rollback to version ${v}: the version before ${from} is ${stack.at(-1) ?? 'none'}`);
      stack.pop();
    }
    const event: StoreEvent = { at: new Date().toISOString(), kind, version: v, from, reason };
    await this.commit({ ...this.index, active: v, stack: stack.slice(-this.keep), history: [...this.index.history, event].slice(-MAX_HISTORY) });
    return event;
  }

  private versionDir(v: number): string {
    return path.join(this.dir, 'versions', String(v).padStart(6, '0'));
  }

  /** Writes the index: the one atomic step every change of the store ends with. */
  private async commit(next: StoreIndex): Promise<void> {
    await replaceFile(path.join(this.dir, 'state.json'), `${JSON.stringify(next, null, 2)}\n`);
    this.index = next;
  }

  /** Removes what the index does not list: staging left by a crash, versions stored but never committed. */
  private sweep(): void {
    const staging = path.join(this.dir, 'staging');
    for (const e of readdirSync(staging)) rmSync(path.join(staging, e), { recursive: true, force: true });
    const listed = new Set(this.index.versions.map((v) => path.basename(this.versionDir(v))));
    const versions = path.join(this.dir, 'versions');
    for (const e of readdirSync(versions)) if (!listed.has(e)) rmSync(path.join(versions, e), { recursive: true, force: true });
    for (const e of readdirSync(this.dir)) if (/^\.state\.json\.new-/.test(e)) rmSync(path.join(this.dir, e), { force: true });
  }

  /** Drops the oldest versions beyond `keep` that are neither active nor on the rollback stack. */
  private async prune(): Promise<void> {
    const pinned = new Set([this.index.active, ...this.index.stack]);
    const drop: number[] = [];
    let left = this.index.versions.length;
    for (const v of this.index.versions) {
      if (left <= this.keep) break;
      if (pinned.has(v)) continue;
      drop.push(v);
      left--;
    }
    if (drop.length === 0) return;
    await this.commit({ ...this.index, versions: this.index.versions.filter((v) => !drop.includes(v)) });
    for (const v of drop) {
      this.manifests.delete(v);
      await rm(this.versionDir(v), { recursive: true, force: true });
    }
  }
}

function emptyIndex(robot: string): StoreIndex {
  return { format: STORE_FORMAT, formatVersion: STORE_VERSION, robot, versions: [], active: null, stack: [], nextVersion: 1, history: [] };
}

function readIndex(file: string): StoreIndex {
  let raw: unknown;
  try {
    raw = JSON.parse(readInputFile(file, MAX_INDEX_BYTES).toString('utf8'));
  } catch (e) {
    throw new Error(`store index ${file}: ${(e as Error).message}`);
  }
  const x = raw as Partial<StoreIndex>;
  const ints = (v: unknown): v is number[] => Array.isArray(v) && v.every((n) => Number.isInteger(n) && n > 0);
  if (x?.format !== STORE_FORMAT) throw new Error(`store index ${file}: not a sim2real agent store`);
  if (x.formatVersion !== STORE_VERSION) throw new Error(`store index ${file}: layout version ${x.formatVersion}, this sim2real reads ${STORE_VERSION}`);
  if (typeof x.robot !== 'string' || !ints(x.versions) || !ints(x.stack) || !Number.isInteger(x.nextVersion) || !Array.isArray(x.history)
    || !(x.active === null || (Number.isInteger(x.active) && x.versions.includes(x.active as number)))) {
    throw new Error(`store index ${file}: malformed (robot, versions, active, stack, nextVersion, history)`);
  }
  return x as StoreIndex;
}

function readManifest(dir: string): VersionManifest {
  const file = path.join(dir, 'manifest.json');
  try {
    return JSON.parse(readInputFile(file, MAX_INDEX_BYTES).toString('utf8')) as VersionManifest;
  } catch (e) {
    throw new Error(`store: ${file}: ${(e as Error).message}`);
  }
}
