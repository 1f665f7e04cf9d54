import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { setSecurityHeaders } from '../auth/security-headers';

/** The dashboard's static files, beside `src/` and `dist/` (the same depth from both). */
export const PUBLIC_DIR = join(__dirname, '..', '..', 'public');

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** The files that may be served; nothing else under public/ or elsewhere is reachable. */
export const STATIC_FILES = new Set(['index.html', 'login.html', 'login.js', 'dashboard.js', 'dashboard.css', 'favicon.svg']);

const cache = new Map<string, Buffer>();

/**
 * Sends one of {@link STATIC_FILES} with its content type and strict
 * security headers (no framing, no inline scripts from elsewhere); 404 for
 * any other name. Files are read once and kept in memory.
 */
export function sendStatic(res: ServerResponse, name: string): void {
  if (!STATIC_FILES.has(name)) {
    res.statusCode = 404;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end('not found');
    return;
  }
  send(res, name, staticFile(name), 'no-cache');
}

/** The content of one of {@link STATIC_FILES}, read once. */
export function staticFile(name: string): Buffer {
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(join(PUBLIC_DIR, name));
    cache.set(name, body);
  }
  return body;
}

/** Sends a page made for this request (e.g. with data in it), never cached. */
export function sendPage(res: ServerResponse, name: string, body: string): void {
  send(res, name, body, 'no-store');
}

function send(res: ServerResponse, name: string, body: Buffer | string, cacheControl: string): void {
  res.statusCode = 200;
  res.setHeader('content-type', TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream');
  res.setHeader('cache-control', cacheControl);
  setSecurityHeaders(res);
  res.end(body);
}
