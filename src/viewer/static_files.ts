/**
 * The files the page loads, served straight from the source tree and node_modules (no bundler,
 * no network): the page's own ES modules under `/client/`, three.js under `/vendor/three/`
 * (its build and `examples/jsm` add-ons) and uPlot under `/vendor/uplot/`.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const CLIENT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'client');
const THREE_DIR = path.dirname(path.dirname(require.resolve('three')));
const UPLOT_DIR = path.dirname(require.resolve('uplot'));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

/** A file to send: its bytes and content type. */
export interface StaticFile {
  body: Buffer;
  type: string;
}

/** Where a URL path lives on disk, or null when it is not one of the served files. */
function staticPath(urlPath: string): string | null {
  const routes: [string, string][] = [
    ['/client/', CLIENT_DIR],
    ['/vendor/three/build/', path.join(THREE_DIR, 'build')],
    ['/vendor/three/examples/jsm/', path.join(THREE_DIR, 'examples', 'jsm')],
    ['/vendor/uplot/', UPLOT_DIR],
  ];
  if (urlPath === '/' || urlPath === '/index.html') return path.join(CLIENT_DIR, 'index.html');
  for (const [prefix, dir] of routes) {
    if (!urlPath.startsWith(prefix)) continue;
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath.slice(prefix.length));
    } catch {
      return null;
    }
    const file = path.resolve(dir, rel);
    if (!file.startsWith(dir + path.sep) || !(path.extname(file) in TYPES)) return null;
    return file;
  }
  return null;
}

/** Reads the file behind `urlPath`, or null when there is none. */
export async function loadStatic(urlPath: string): Promise<StaticFile | null> {
  const file = staticPath(urlPath);
  if (file === null) return null;
  try {
    return { body: await readFile(file), type: TYPES[path.extname(file)] as string };
  } catch {
    return null;
  }
}

/** Answers a request for one of the page's files: 200 with its bytes, or 404. */
export function serveStatic(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  void loadStatic(url.pathname).then((file) => {
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' }).end(file.body);
  });
}
