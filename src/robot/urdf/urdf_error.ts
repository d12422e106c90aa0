/**
 * The one error type the URDF loader throws: it says which file, line, element and attribute
 * are at fault, so a user can fix the file without reading our code.
 */

/** What a {@link UrdfError} is built from. */
export interface UrdfErrorInit {
  /** The file name shown in the message (as the user gave it). */
  source: string;
  /** The element at fault, e.g. `joint "knee"` or `link "base"/collision[0]`; '' for the whole file. */
  element: string;
  /** What is wrong and, where it helps, what to do instead. */
  detail: string;
  /** The attribute at fault, when one is. */
  attribute?: string;
  /** 1-based line of the element in the file, when known. */
  line?: number;
}

/**
 * A URDF file that cannot be turned into a `RobotModel`. The message reads
 * `robot.urdf:42: joint "knee": <child link="missing"> names a link that does not exist`.
 */
export class UrdfError extends Error {
  /** The file name given to the loader. */
  readonly source: string;
  /** The element at fault (`joint "knee"`, `link "base"/collision[0]`); '' for the whole file. */
  readonly element: string;
  /** The attribute at fault, when one is. */
  readonly attribute?: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
  /** The message without the `file:line: element:` prefix. */
  readonly detail: string;

  constructor(init: UrdfErrorInit) {
    const where = init.line === undefined ? init.source : `${init.source}:${init.line}`;
    super(init.element === '' ? `${where}: ${init.detail}` : `${where}: ${init.element}: ${init.detail}`);
    this.name = 'UrdfError';
    this.source = init.source;
    this.element = init.element;
    this.detail = init.detail;
    if (init.attribute !== undefined) this.attribute = init.attribute;
    if (init.line !== undefined) this.line = init.line;
  }
}
