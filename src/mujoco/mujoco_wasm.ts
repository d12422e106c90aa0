/**
 * The one place that loads MuJoCo (`mujoco-js`, Google DeepMind's official WebAssembly build).
 * Everything else imports the types from here and calls `loadMujoco()` once before building
 * models. MuJoCo reports a model that does not load either as a printed line and a null model
 * or as a C++ exception that reaches JavaScript without its text (`mjXError`: the XML does not
 * follow MuJoCo's schema; `mjCError`: the compiler refused the model); `compileModel` turns
 * each into one error line saying what it can.
 */
import createMujoco from 'mujoco-js';
import type { MainModule, MjData, MjModel } from 'mujoco-js';

export type Mujoco = MainModule;
export type { MjData, MjModel };

/** Lines MuJoCo printed since the last `compileModel` (its errors and warnings). */
const printed: string[] = [];

let ready: Promise<Mujoco> | null = null;

/** Initializes the WASM module once per thread, with a scratch folder for model files. */
export function loadMujoco(): Promise<Mujoco> {
  ready ??= createMujoco({ print: (s: string) => printed.push(s), printErr: (s: string) => printed.push(s) }).then((mj) => {
    mj.FS.mkdir(MODEL_DIR);
    return mj;
  });
  return ready;
}

/** Where model files are written in MuJoCo's in-memory file system. */
const MODEL_DIR = '/sim2real';
let files = 0;

/** Compiles MJCF `xml` into a model; a model MuJoCo refuses is an error quoting MuJoCo's reason. */
export function compileModel(mj: Mujoco, xml: string, what: string): MjModel {
  const file = `${MODEL_DIR}/model${files++}.xml`;
  printed.length = 0;
  mj.FS.writeFile(file, xml);
  let model: MjModel | null;
  try {
    model = mj.MjModel.loadFromXML(file);
  } catch (e) {
    throw new Error(`${what}: MuJoCo could not compile the model: ${exceptionText(e)}`);
  } finally {
    mj.FS.unlink(file);
  }
  if (!model) {
    const why = printed.join(' ').replace(/^Loading error:\s*/, '').trim() || 'no reason given';
    throw new Error(`${what}: MuJoCo could not compile the model: ${why}`);
  }
  return model;
}

/** What MuJoCo's C++ exceptions mean, by type (their text does not cross into JavaScript). */
const EXCEPTIONS: Record<string, string> = {
  mjXError: 'the MJCF does not follow MuJoCo\'s schema',
  mjCError: 'MuJoCo\'s compiler refused the model (a mass, inertia, size or mesh it cannot use)',
};

/** One line for an error thrown out of the WASM module. */
function exceptionText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const meaning = EXCEPTIONS[e.name];
  const text = [meaning, e.message && e.message !== e.name ? e.message : undefined, ...printed].filter(Boolean).join('; ');
  return `${text || 'no reason given'} (${e.name})`.replace(/\s*\n\s*/g, ' ');
}
