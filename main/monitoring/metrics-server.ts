/**
 * The monitor's HTTP endpoint for Prometheus: `GET /metrics` (the registry, optionally behind a
 * bearer token or basic auth), `GET /healthz` (the process is up) and `GET /readyz` (config loaded
 * and engine running; 503 otherwise). Nothing else is served. Loopback unless an address is given.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { gzip } from 'node:zlib';

/** Where to listen. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Credentials a scraper must send (RFC 6750 bearer or RFC 7617 basic). */
export type MetricsAuth = { scheme: 'bearer'; token: string } | { scheme: 'basic'; user: string; password: string };

/** What the server asks of the monitor. */
export interface MetricsEndpointOptions extends ListenAddress {
  /** The exposition text and its content type (prom-client's registry). */
  metrics(): Promise<string>;
  contentType: string;
  /** True once the config is loaded and the engine runs; /readyz answers 503 until then. */
  ready(): boolean;
  auth?: MetricsAuth | null;
}

export interface MetricsEndpoint {
  /** The address actually bound (port 0 → the one the OS chose). */
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/**
 * Parses `--metrics`: `9464` (loopback, 127.0.0.1), `127.0.0.1:9464`, `0.0.0.0:9464`,
 * `[::1]:9464`. Any non-loopback address is used only when written out. Throws an Error naming
 * the option and what is allowed.
 */
export function parseListenAddress(text: string, option = '--metrics'): ListenAddress {
  const help = `${option}: must be a port (1-65535, listening on 127.0.0.1) or ADDRESS:PORT like 127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464 (got "${text}")`;
  let host = '127.0.0.1';
  let portText = text;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (text.split(':').length > 2) {
    throw new Error(help); // an IPv6 address needs brackets: [::1]:9464
  } else if (text.includes(':')) {
    const at = text.lastIndexOf(':');
    host = text.slice(0, at);
    portText = text.slice(at + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535 || isIP(host) === 0 || (v6 && isIP(host) !== 6)) throw new Error(help);
  return { host, port };
}

/**
 * Parses a metrics credentials file: one line `bearer <token>` or `basic <user>:<password>`.
 * Errors name the file's format, never its content.
 */
export function parseMetricsAuth(text: string, path: string): MetricsAuth {
  const line = text.trim();
  const bearer = /^bearer\s+(\S+)$/i.exec(line);
  if (bearer) return { scheme: 'bearer', token: bearer[1]! };
  const basic = /^basic\s+([^:\s]+):(\S+)$/i.exec(line);
  if (basic) return { scheme: 'basic', user: basic[1]!, password: basic[2]! };
  throw new Error(`--metrics-auth-file ${path}: must hold one line "bearer <token>" or "basic <user>:<password>"`);
}

/** Constant-time comparison of two strings of any length (hashing first hides the length too). */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Whether the request's Authorization header carries the configured credentials. */
export function isAuthorized(header: string | undefined, auth: MetricsAuth | null | undefined): boolean {
  if (!auth) return true;
  if (!header) return false;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (space < 0 || scheme !== auth.scheme) return false;
  if (auth.scheme === 'bearer') return sameSecret(value, auth.token);
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return sameSecret(decoded, `${auth.user}:${auth.password}`);
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

/** Starts listening; rejects when the address cannot be bound (in use, not local). */
export function startMetricsEndpoint(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    if (path === '/healthz') return send(res, 200, 'ok\n');
    if (path === '/readyz') return options.ready() ? send(res, 200, 'ready\n') : send(res, 503, 'not ready\n');
    if (path !== '/metrics') return send(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
    if (!isAuthorized(req.headers.authorization, options.auth)) {
      const challenge = options.auth?.scheme === 'basic' ? 'Basic realm="trunkline"' : 'Bearer realm="trunkline"';
      return send(res, 401, 'unauthorized\n', { 'WWW-Authenticate': challenge });
    }
    options.metrics().then(
      (body) => {
        // Prometheus always asks for gzip: 5,000 lines are ~15 MB of text and ~1 MB compressed.
        // zlib runs on the thread pool, so compressing never stalls the engine's event loop.
        if (!/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return send(res, 200, body, { 'Content-Type': options.contentType });
        gzip(body, (error, compressed) => {
          if (error) return send(res, 200, body, { 'Content-Type': options.contentType });
          res.writeHead(200, { 'Content-Type': options.contentType, 'Content-Encoding': 'gzip', 'Cache-Control': 'no-store', Vary: 'Accept-Encoding' });
          res.end(compressed);
        });
      },
      (error: unknown) => send(res, 500, `cannot collect metrics: ${(error as Error).message}\n`),
    );
  };
  const server = createServer(handle);
  // A scraper keeps its connection; closing must not wait for it.
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const bound = server.address() as AddressInfo;
      resolve({
        address: { host: bound.address, port: bound.port },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
