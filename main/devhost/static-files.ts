/**
 * Serves the built renderer (out/renderer) the way the app serves it: the shell's own
 * Content-Security-Policy header (so a page that works here works under the app's policy), no
 * caching, and `/bridge.js` placed before the app's script in index.html. index.html is read on
 * every request, so a rebuild while the host runs is picked up by a reload.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../shell/content-security-policy';
import { bridgeScript } from './bridge-script';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** The CSP the page declares in its `<meta http-equiv>`. */
export function pagePolicy(html: string): string {
  const match = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
  if (!match?.[1]) throw new Error('index.html declares no Content-Security-Policy');
  return match[1];
}

/** index.html with the bridge script first: it must define window.trunkline before the app runs. */
export function withBridge(html: string): string {
  const at = html.search(/<script\b/i);
  if (at < 0) throw new Error('index.html has no script to put the bridge before');
  return `${html.slice(0, at)}<script src="./bridge.js"></script>\n    ${html.slice(at)}`;
}

export async function createStaticHandler(rendererDir: string): Promise<{ policy: string; handle: (req: IncomingMessage, res: ServerResponse) => void }> {
  const readIndex = () => readFile(join(rendererDir, 'index.html'), 'utf8');
  const index = await readIndex().catch(() => {
    throw new Error(`no built renderer in ${rendererDir}: run \`npx vite build\` first`);
  });
  // The page must declare its own policy too (defence in depth when loaded any other way).
  pagePolicy(index);
  const policy = CONTENT_SECURITY_POLICY;
  const bridge = bridgeScript();
  const root = normalize(rendererDir + sep);

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer): void => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Security-Policy': policy,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://host.invalid').pathname);
    if (path === '/' || path === '/index.html') {
      readIndex().then(
        (html) => send(res, 200, TYPES['.html']!, withBridge(html)),
        () => send(res, 404, 'text/plain', 'no built renderer'),
      );
      return;
    }
    if (path === '/bridge.js') return send(res, 200, TYPES['.js']!, bridge);
    const file = normalize(join(root, path));
    const type = TYPES[extname(file)];
    if (!file.startsWith(root) || !type) return send(res, 404, 'text/plain', 'not found');
    readFile(file).then(
      (body) => send(res, 200, type, body),
      () => send(res, 404, 'text/plain', 'not found'),
    );
  };
  return { policy, handle };
}
