/**
 * Policy signatures: ed25519 key pairs (Node's crypto), the statement a push signs (the file's
 * SHA-256 and length, under a fixed prefix so a signature over anything else never counts), and
 * the agent's trusted public keys. Keys are PEM files (PKCS#8 private, SPKI public), the formats
 * `openssl pkey` reads; a key is named by its key id, the first 16 hex digits of the SHA-256 of
 * its public key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { readInputFile } from '../robot/input_file.ts';

/** Largest key file read (a PEM ed25519 key is about 120 bytes). */
const MAX_KEY_BYTES = 16 * 1024;
/** The first line of every signed statement: a signature made for anything else never verifies here. */
const STATEMENT_PREFIX = 'sim2real policy signature v1';

/** The key files `writeKeyPair` made. */
export interface KeyPairFiles {
  privateFile: string;
  publicFile: string;
  keyId: string;
}

/** A push's signature over one policy file. */
export interface PolicySignature {
  /** SHA-256 of the file, lowercase hex. */
  sha256: string;
  bytes: number;
  /** Key id of the signing key. */
  keyId: string;
  /** The ed25519 signature of `signingStatement(sha256, bytes)`, base64. */
  signature: string;
}

/** What is signed for a policy of `bytes` bytes with SHA-256 `sha256Hex`. */
export function signingStatement(sha256Hex: string, bytes: number): Buffer {
  return Buffer.from(`${STATEMENT_PREFIX}\nsha256 ${sha256Hex}\nbytes ${bytes}\n`, 'utf8');
}

/** SHA-256 of `bytes`, lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The key id of a public key: the first 16 hex digits of the SHA-256 of its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 16);
}

/**
 * Makes an ed25519 key pair in `dir` (created if missing, mode 0700): `dir/key`, the private key
 * (mode 0600), and `dir/key.pub`. Refuses to replace either file: an existing key stays as it is.
 */
export function writeKeyPair(dir: string): KeyPairFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privateFile = path.join(dir, 'key'), publicFile = path.join(dir, 'key.pub');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const pub = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  writeNew(privateFile, priv, 0o600);
  try {
    writeNew(publicFile, pub, 0o644);
  } catch (e) {
    rmSync(privateFile, { force: true });
    throw e;
  }
  return { privateFile, publicFile, keyId: keyIdOf(publicKey) };
}

/** Reads an ed25519 private key (PEM); errors name the file. */
export function loadPrivateKey(file: string): KeyObject {
  const key = readKey(file, (pem) => createPrivateKey(pem));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key ${file}: an ${key.asymmetricKeyType} key, not ed25519 (make one with sim2real keys --out DIR)`);
  return key;
}

/** Reads an ed25519 public key (PEM); errors name the file. */
export function loadPublicKey(file: string): KeyObject {
  const key = readKey(file, (pem) => createPublicKey(pem));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key ${file}: an ${key.asymmetricKeyType} key, not ed25519`);
  return key;
}

/** Signs the policy `bytes` with `privateKey`. */
export function signPolicy(bytes: Uint8Array, privateKey: KeyObject): PolicySignature {
  const sha256 = sha256Hex(bytes);
  const signature = sign(null, signingStatement(sha256, bytes.length), privateKey).toString('base64');
  return { sha256, bytes: bytes.length, keyId: keyIdOf(createPublicKey(privateKey)), signature };
}

/** The public keys an agent trusts (`--trust FILE`, repeatable), by key id. */
export class TrustedKeys {
  private readonly keys = new Map<string, { key: KeyObject; file: string }>();

  /** Reads each file as an ed25519 public key; errors name the file. */
  constructor(files: readonly string[]) {
    for (const file of files) {
      const key = loadPublicKey(file);
      this.keys.set(keyIdOf(key), { key, file });
    }
  }

  /** Key ids trusted, with the file each came from. */
  list(): { keyId: string; file: string }[] {
    return [...this.keys].map(([keyId, k]) => ({ keyId, file: k.file }));
  }

  /** Whether a key with this id is trusted. */
  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /**
   * Why `sig` does not hold for a file of `bytes` bytes hashing to `sha256`, or null when a
   * trusted key signed exactly that: an untrusted key id, or a signature that does not verify.
   */
  check(sig: Pick<PolicySignature, 'keyId' | 'signature'>, sha256: string, bytes: number): { code: 'untrusted_key' | 'bad_signature'; message: string } | null {
    const k = this.keys.get(sig.keyId);
    if (!k) return { code: 'untrusted_key', message: `signed by key ${sig.keyId}, which this agent does not trust (trusted: ${[...this.keys.keys()].join(', ') || 'none'}; add its key.pub with --trust)` };
    const raw = Buffer.from(sig.signature, 'base64');
    let ok = false;
    try {
      ok = raw.length === 64 && verify(null, signingStatement(sha256, bytes), k.key, raw);
    } catch {
      ok = false;
    }
    return ok ? null : { code: 'bad_signature', message: `the signature does not verify with key ${sig.keyId} (${k.file}) for this file (sha256 ${sha256.slice(0, 16)}…, ${bytes} bytes)` };
  }
}

function readKey(file: string, parse: (pem: string) => KeyObject): KeyObject {
  let text: string;
  try {
    text = readInputFile(file, MAX_KEY_BYTES).toString('utf8');
  } catch (e) {
    throw new Error(`key ${file}: ${(e as Error).message}`);
  }
  try {
    return parse(text);
  } catch {
    throw new Error(`key ${file}: not a PEM key`);
  }
}

/** Writes a file that must not exist yet, with `mode`, synced to disk. */
function writeNew(file: string, text: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(file, 'wx', mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${file} already exists: refusing to overwrite a key (remove it first, or choose another --out)`);
    throw new Error(`cannot write ${file}: ${(e as Error).message}`);
  }
  try {
    fchmodSync(fd, mode); // the umask may have taken bits away; this states them exactly
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
