import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsAuth, MetricsEndpoint } from '../../../main/monitoring/metrics-server';
import { isAuthorized, parseListenAddress, parseMetricsAuth, startMetricsEndpoint } from '../../../main/monitoring/metrics-server';

let endpoint: MetricsEndpoint | null = null;
afterEach(async () => {
  await endpoint?.close();
  endpoint = null;
});

async function serve(auth: MetricsAuth | null, ready = true): Promise<string> {
  endpoint = await startMetricsEndpoint({ host: '127.0.0.1', port: 0, metrics: async () => 'trunkline_line_registered{line="a"} 1\n', contentType: 'text/plain; version=0.0.4; charset=utf-8', ready: () => ready, auth });
  return `http://127.0.0.1:${endpoint.address.port}`;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('metrics endpoint', () => {
  it('without auth: /metrics serves the exposition, /healthz 200, unknown paths 404', async () => {
    const base = await serve(null);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('version=0.0.4');
    expect(await res.text()).toContain('trunkline_line_registered{line="a"} 1');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('gzip when the scraper accepts it (Prometheus always does); plain text otherwise', async () => {
    const base = await serve(null);
    const { port } = new URL(base);
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/metrics', headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    expect(raw.encoding).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toContain('trunkline_line_registered{line="a"} 1');
  });

  it('/readyz answers 503 until the monitor is ready', async () => {
    const base = await serve(null, false);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('bearer: the right token gets the metrics; none, a wrong one, or basic get 401 with a challenge', async () => {
    const base = await serve({ scheme: 'bearer', token: 'tok-123' });
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer tok-123' } })).status).toBe(200);
    const none = await fetch(`${base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await none.text()).not.toContain('trunkline');
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer tok-12' } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: basic('tok', '123') } })).status).toBe(401);
    // Health probes carry no secrets and need none.
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('basic: the right user and password get the metrics; a wrong password gets 401', async () => {
    const base = await serve({ scheme: 'basic', user: 'prom', password: 'p:w' });
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: basic('prom', 'p:w') } })).status).toBe(200);
    const wrong = await fetch(`${base}/metrics`, { headers: { Authorization: basic('prom', 'nope') } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Basic');
  });

  it('isAuthorized compares scheme case-insensitively and refuses malformed headers', () => {
    expect(isAuthorized('bearer x', { scheme: 'bearer', token: 'x' })).toBe(true);
    expect(isAuthorized('Bearer', { scheme: 'bearer', token: 'x' })).toBe(false);
    expect(isAuthorized(undefined, { scheme: 'bearer', token: 'x' })).toBe(false);
    expect(isAuthorized(undefined, null)).toBe(true);
  });
});

describe('--metrics and --metrics-auth-file parsing', () => {
  it.each([
    ['9464', { host: '127.0.0.1', port: 9464 }],
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['0.0.0.0:9100', { host: '0.0.0.0', port: 9100 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
  ])('%s → %o (loopback unless an address is written out)', (text, address) => expect(parseListenAddress(text)).toEqual(address));

  it.each(['', '0', '70000', 'localhost:9464', '9464:', '::1:9464', 'abc'])('%j is refused naming the option', (text) =>
    expect(() => parseListenAddress(text)).toThrow(/^--metrics: must be a port/));

  it('reads bearer and basic credentials; an unknown format names the format, not the content', () => {
    expect(parseMetricsAuth('bearer abc\n', 'f')).toEqual({ scheme: 'bearer', token: 'abc' });
    expect(parseMetricsAuth('basic prom:s3cr:et\n', 'f')).toEqual({ scheme: 'basic', user: 'prom', password: 's3cr:et' });
    expect(() => parseMetricsAuth('token hunter2', 'f')).toThrow(/bearer <token>/);
    expect(() => parseMetricsAuth('token hunter2', 'f')).not.toThrow(/hunter2/);
  });
});
