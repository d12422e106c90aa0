/**
 * A saved env group's state (plain objects, JSON values and typed arrays: `EnvGroupState`) as
 * bytes for the object store, and back, exactly: typed arrays travel as frame arrays, numbers
 * JSON cannot hold (NaN, ±Infinity, -0) as tagged strings.
 */
import { decodeFrame, encodeFrame, type FrameArray } from './frame.ts';

const ARRAY_TAG = '$typed';
const NUMBER_TAG = '$number';

/** `tree` as one frame. Functions, symbols, class instances other than typed arrays are errors. */
export function encodeState(tree: unknown): Uint8Array {
  const arrays: Record<string, FrameArray> = {};
  let n = 0;
  const walk = (v: unknown, where: string): unknown => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { [NUMBER_TAG]: Object.is(v, -0) ? '-0' : String(v) };
    if (isFrameArray(v)) {
      const key = `a${n++}`;
      arrays[key] = v;
      return { [ARRAY_TAG]: key };
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${where}[${i}]`));
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === ARRAY_TAG || k === NUMBER_TAG) throw new Error(`state ${where}: key ${k} is reserved`);
        out[k] = walk(x, `${where}.${k}`);
      }
      return out;
    }
    throw new Error(`state ${where}: ${typeof v} is not a JSON value or typed array`);
  };
  const json = walk(tree, 'state');
  return encodeFrame({ tree: json }, arrays);
}

/** The tree `encodeState` encoded (typed arrays are fresh copies). */
export function decodeState(bytes: Uint8Array): unknown {
  const { header, arrays } = decodeFrame<{ tree?: unknown }>(bytes);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    if (Object.hasOwn(o, ARRAY_TAG)) {
      const a = arrays[String(o[ARRAY_TAG])];
      if (!a) throw new Error(`state refers to a missing array ${String(o[ARRAY_TAG])}`);
      return a;
    }
    if (Object.hasOwn(o, NUMBER_TAG)) {
      const s = String(o[NUMBER_TAG]);
      if (!['NaN', 'Infinity', '-Infinity', '-0'].includes(s)) throw new Error(`state holds a malformed number ${s}`);
      return s === '-0' ? -0 : Number(s);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
  };
  return walk(header.tree);
}

function isFrameArray(v: unknown): v is FrameArray {
  return v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array || v instanceof Uint8Array || v instanceof Uint32Array;
}
