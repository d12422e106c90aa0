/**
 * Headless Chromium for the viewer tests (playwright-core, the system's Chromium): where it is,
 * whether the tests must run, and screenshot decoding in a blank page (no PNG library needed).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';

/** The Chromium binary: `SIM2REAL_CHROMIUM` or Debian's. */
// the browser globals the page functions below use (the project's TypeScript has no DOM lib)
declare class Image {
  width: number;
  height: number;
  src: string;
  onload: ((e: unknown) => void) | null;
}
declare interface CanvasRenderingContext2D {
  drawImage(img: Image, x: number, y: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}
declare const document: { createElement(tag: 'canvas'): { width: number; height: number; getContext(kind: '2d'): CanvasRenderingContext2D | null } };
declare const requestAnimationFrame: (f: () => void) => number;

/** The Chromium binary: `SIM2REAL_CHROMIUM` or Debian's. */
export const CHROMIUM = process.env.SIM2REAL_CHROMIUM ?? '/usr/bin/chromium';
/** CI sets SIM2REAL_REQUIRE_BROWSER=1: a missing browser is then a failure, not a skip. */
export const REQUIRE_BROWSER = process.env.SIM2REAL_REQUIRE_BROWSER === '1';
export const HAVE_BROWSER = existsSync(CHROMIUM);
/** Where screenshots go (gitignored). */
export const ARTIFACTS = path.resolve(import.meta.dirname, '../../artifacts/viewer');

if (!HAVE_BROWSER) {
  const msg = `viewer browser tests: no Chromium at ${CHROMIUM} (scripts/install-system-deps.sh browser installs it; SIM2REAL_CHROMIUM points elsewhere)`;
  if (REQUIRE_BROWSER) throw new Error(`${msg}, and SIM2REAL_REQUIRE_BROWSER=1`);
  console.warn(`${msg}: skipping`);
}

export async function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A pixel box in page coordinates. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** What `pixelStats` measures. */
export interface PixelStats {
  /** Standard deviation of the grey level of the first picture (0: blank). */
  greyStd: number;
  /** Pixels inside `box` (everywhere when absent) whose channels differ by more than 24 in sum between the two pictures. */
  changed: number;
}

/**
 * Decodes screenshots with the browser's own PNG decoder in a blank helper page and measures
 * them there (only two numbers cross back).
 */
export async function pixelStats(helper: Page, a: Buffer, b?: Buffer, box?: Box): Promise<PixelStats> {
  return helper.evaluate(async ([srcA, srcB, bx]) => {
    const pixels = async (src: string) => {
      const img = new Image();
      await new Promise((r) => { img.onload = r; img.src = `data:image/png;base64,${src}`; });
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d') as CanvasRenderingContext2D;
      g.drawImage(img, 0, 0);
      return { w: img.width, h: img.height, d: g.getImageData(0, 0, img.width, img.height).data };
    };
    const A = await pixels(srcA);
    let s = 0, s2 = 0;
    for (let i = 0; i < A.d.length; i += 4) {
      const v = (A.d[i]! + A.d[i + 1]! + A.d[i + 2]!) / 3;
      s += v;
      s2 += v * v;
    }
    const n = A.d.length / 4;
    const greyStd = Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
    if (srcB === null) return { greyStd, changed: 0 };
    const B = await pixels(srcB);
    const x0 = Math.max(0, Math.floor(bx?.x0 ?? 0)), y0 = Math.max(0, Math.floor(bx?.y0 ?? 0));
    const x1 = Math.min(A.w, Math.ceil(bx?.x1 ?? A.w)), y1 = Math.min(A.h, Math.ceil(bx?.y1 ?? A.h));
    let changed = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = 4 * (y * A.w + x);
        if (Math.abs(A.d[i]! - B.d[i]!) + Math.abs(A.d[i + 1]! - B.d[i + 1]!) + Math.abs(A.d[i + 2]! - B.d[i + 2]!) > 24) changed++;
      }
    }
    return { greyStd, changed };
  }, [a.toString('base64'), b ? b.toString('base64') : null, box ?? null] as const);
}

/** Waits two animation frames, so whatever the page has is drawn. */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}
