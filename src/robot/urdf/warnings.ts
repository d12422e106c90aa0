/**
 * Collects the URDF loader's warnings: single lines, and groups that collapse many alike
 * occurrences (27 `<material>` elements, `<mimic>` on 4 joints) into one line with a count.
 */

import type { XmlElement } from './xml.ts';

/** How a group of alike warnings reads, given where they occurred. */
type GroupFormat = (places: string[]) => string;

interface Group {
  places: string[];
  format: GroupFormat;
}

/** Lists at most `max` names, then "… and N more". */
export function listNames(names: string[], max = 6): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** Warning lines in the order they first occurred, with grouped kinds summarized. */
export class WarningLog {
  private readonly entries: (string | Group)[] = [];
  private readonly groups = new Map<string, Group>();

  /** Adds one warning line as is. */
  add(line: string): void {
    this.entries.push(line);
  }

  /** Adds one occurrence (at `place`) of the kind `key`; the kind becomes one line, made by `format`. */
  group(key: string, place: string, format: GroupFormat): void {
    let g = this.groups.get(key);
    if (g === undefined) {
      g = { places: [], format };
      this.groups.set(key, g);
      this.entries.push(g);
    }
    g.places.push(place);
  }

  /** The final lines. */
  lines(): string[] {
    return this.entries.map((e) => (typeof e === 'string' ? e : e.format(e.places)));
  }
}

/** What the element readers share while one file is parsed. */
export interface UrdfContext {
  source: string;
  /** Directory mesh filenames resolve against. */
  baseDir: string;
  warnings: WarningLog;
}

/** Notes an element the loader does not know, grouped by tag so repeats make one line. */
export function warnUnknown(ctx: UrdfContext, where: string, within: string, el: XmlElement): void {
  ctx.warnings.group(`unknown:${within}:${el.tag}`, where, (places) =>
    places.length === 1
      ? `${places[0]}: unknown element <${el.tag}> ignored`
      : `unknown element <${el.tag}> ignored in ${places.length} <${within}> elements: ${listNames(places)}`,
  );
}
