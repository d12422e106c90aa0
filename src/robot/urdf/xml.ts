/**
 * The XML layer of the URDF loader: well-formedness check, a small element tree that knows each
 * element's line, and attribute readers whose errors name the element, attribute and line.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UrdfError } from './urdf_error.ts';

/** One XML element: tag, attributes (raw strings), child elements in file order, 1-based line. */
export interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  line: number;
}

/** Where reader errors point: the file name and the element path (`joint "knee"`). */
export interface XmlPlace {
  source: string;
  element: string;
}

// typed as `Symbol` (the wrapper) in fast-xml-parser 5.12; it is a primitive symbol at run time
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

/**
 * Checks that `xml` is well-formed and returns its root element. Malformed XML is a
 * {@link UrdfError} with the validator's line and column.
 */
export function parseXml(xml: string, source: string): XmlElement {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    const at = col === undefined ? '' : ` (column ${col})`;
    throw new UrdfError({ source, element: '', detail: `malformed XML: ${msg}${at}`, line: line > 0 ? line : undefined });
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
    captureMetaData: true,
  });
  const lineOf = lineIndex(xml);
  let parsed: unknown;
  try {
    parsed = parser.parse(xml);
  } catch (e) {
    // the parser's own limits (nesting depth, entity expansion) name no file
    throw new UrdfError({ source, element: '', detail: `cannot parse the XML: ${(e as Error).message}` });
  }
  const roots = toElements(parsed, lineOf);
  const root = roots[0];
  if (root === undefined) throw new UrdfError({ source, element: '', detail: 'no XML element in the file' });
  return root;
}

/** Builds a startIndex → 1-based line lookup for `text` (LF, CRLF and CR line ends). */
function lineIndex(text: string): (index: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** Converts fast-xml-parser's preserveOrder output into {@link XmlElement}s, dropping text and PIs. */
function toElements(nodes: unknown, lineOf: (index: number) => number): XmlElement[] {
  if (!Array.isArray(nodes)) return [];
  const out: XmlElement[] = [];
  for (const node of nodes as Record<string | symbol, unknown>[]) {
    const tag = Object.keys(node).find((k) => k !== ':@');
    if (tag === undefined || tag.startsWith('#') || tag.startsWith('?') || tag.startsWith('!')) continue;
    const rawAttrs = node[':@'];
    const attrs: Record<string, string> = {};
    if (rawAttrs !== null && typeof rawAttrs === 'object') {
      for (const [k, v] of Object.entries(rawAttrs)) attrs[k] = String(v);
    }
    const meta = node[META] as { startIndex?: number } | undefined;
    const line = meta?.startIndex === undefined ? 0 : lineOf(meta.startIndex);
    out.push({ tag, attrs, children: toElements(node[tag], lineOf), line });
  }
  return out;
}

// -- attribute readers

/** Builds the {@link UrdfError} for `el` at `place`. */
export function fail(place: XmlPlace, el: XmlElement, detail: string, attribute?: string): UrdfError {
  return new UrdfError({
    source: place.source,
    element: place.element,
    detail,
    ...(attribute === undefined ? {} : { attribute }),
    ...(el.line > 0 ? { line: el.line } : {}),
  });
}

/** `<tag attr="value">` as written, for messages. */
export function showAttr(el: XmlElement, attr: string): string {
  const v = el.attrs[attr];
  return v === undefined ? `<${el.tag}>` : `<${el.tag} ${attr}="${v}">`;
}

/** A required string attribute (non-empty). */
export function reqString(place: XmlPlace, el: XmlElement, attr: string): string {
  const v = el.attrs[attr];
  if (v === undefined || v.trim() === '') throw fail(place, el, `<${el.tag}> is missing the ${attr}="…" attribute`, attr);
  return v;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads `count` whitespace-separated finite numbers from attribute `attr`, or `fallback` when the
 * attribute is absent (no fallback: the attribute is required).
 */
export function numbers(place: XmlPlace, el: XmlElement, attr: string, count: number, fallback?: number[]): number[] {
  const raw = el.attrs[attr];
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    const what = count === 1 ? 'a number' : `${count} numbers`;
    throw fail(place, el, `<${el.tag}> is missing the ${attr}="…" attribute (${what})`, attr);
  }
  const tokens = raw.trim().split(/\s+/).filter((t) => t !== '');
  if (tokens.length !== count) {
    const what = count === 1 ? 'one number' : `${count} numbers`;
    throw fail(place, el, `${showAttr(el, attr)} needs ${what}, got ${tokens.length}`, attr);
  }
  return tokens.map((t) => {
    if (!NUMBER.test(t)) {
      const kind = /^[+-]?(inf|infinity|nan)$/i.test(t) ? 'not a finite number' : 'not a number';
      throw fail(place, el, `${showAttr(el, attr)}: "${t}" is ${kind}`, attr);
    }
    const v = Number(t);
    if (!Number.isFinite(v)) throw fail(place, el, `${showAttr(el, attr)}: "${t}" is not a finite number`, attr);
    return v;
  });
}

/** One finite number from `attr`, or `fallback` when absent (no fallback: required). */
export function number(place: XmlPlace, el: XmlElement, attr: string, fallback?: number): number {
  const [v] = numbers(place, el, attr, 1, fallback === undefined ? undefined : [fallback]);
  return v as number;
}

/** The child elements of `el` with tag `tag`. */
export function childrenNamed(el: XmlElement, tag: string): XmlElement[] {
  return el.children.filter((c) => c.tag === tag);
}

/** The single child `tag` of `el`, undefined when absent; two or more is an error. */
export function optionalChild(place: XmlPlace, el: XmlElement, tag: string): XmlElement | undefined {
  const found = childrenNamed(el, tag);
  const second = found[1];
  if (second !== undefined) {
    const first = found[0] as XmlElement;
    throw fail(place, second, `has ${found.length} <${tag}> elements (first on line ${first.line}); one is allowed`);
  }
  return found[0];
}
