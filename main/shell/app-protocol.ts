/**
 * Serves the UI over `app://trunkline/` from one folder (out/renderer): `protocol.handle` calls
 * the handler built here. Only GET/HEAD, only the app host, only files under the root — every
 * path segment is decoded and checked, so `..`, `%2e%2e`, `%2f` and backslashes cannot climb out.
 */
import { extname, join, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './app-origin';
import { securityHeaders } from './content-security-policy';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.ogg': 'audio/ogg',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
};

export type AssetLookup = { ok: true; path: string } | { ok: false; status: 400 | 403 | 404; reason: string };

/** Maps a request URL to a file under `root`, or says why not. Pure: no file system access. */
export function resolveAssetPath(root: string, requestUrl: string): AssetLookup {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400, reason: 'not a URL' };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.hostname.toLowerCase() !== APP_HOST || url.port !== '' || url.username !== '' || url.password !== '') {
    return { ok: false, status: 403, reason: 'not the app origin' };
  }
  const raw = url.pathname === '/' || url.pathname === '' ? ['index.html'] : url.pathname.slice(1).split('/');
  const segments: string[] = [];
  for (const part of raw) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return { ok: false, status: 400, reason: 'malformed escape in path' };
    }
    // An empty, dot or separator-bearing segment could address something outside the root.
    if (segment === '' || segment === '.' || segment === '..' || /[\\/:\0]/.test(segment)) {
      return { ok: false, status: 403, reason: 'path leaves the app folder' };
    }
    segments.push(segment);
  }
  const path = join(root, ...segments);
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return { ok: false, status: 403, reason: 'path leaves the app folder' };
  return { ok: true, path };
}

/** Reads one file; rejects with `code: 'ENOENT'` (or any error) when it cannot. */
export type ReadAsset = (path: string) => Promise<Uint8Array>;

/** The `protocol.handle` handler for the app scheme. */
export function createAppProtocolHandler(root: string, readAsset: ReadAsset): (request: Request) => Promise<Response> {
  return async (request) => {
    const headers = securityHeaders();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('method not allowed', { status: 405, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
    }
    const lookup = resolveAssetPath(root, request.url);
    if (!lookup.ok) return new Response(lookup.reason, { status: lookup.status, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
    let body: Uint8Array;
    try {
      body = await readAsset(lookup.path);
    } catch {
      const message = lookup.path.endsWith('index.html') ? 'the UI is not built (run npm run build)' : 'not found';
      return new Response(message, { status: 404, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
    }
    const type = CONTENT_TYPES[extname(lookup.path).toLowerCase()] ?? 'application/octet-stream';
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: { ...headers, 'Content-Type': type, 'Cache-Control': 'no-cache' } });
  };
}
