import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DevHost } from '../../../main/devhost/dev-host';
import { startDevHost } from '../../../main/devhost/dev-host';
import { pagePolicy, withBridge } from '../../../main/devhost/static-files';
import { CONTENT_SECURITY_POLICY } from '../../../main/shell/content-security-policy';
import { SipEngine } from '../../../main/sip/engine';
import { FakeClock } from '../../fake-clock';
import { ScriptedChannel } from '../sip/scripted-channel';

const CSP = "default-src 'none'; script-src 'self'";
const INDEX = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${CSP}" /><script type="module" src="./assets/app.js"></script></head><body></body></html>`;

let dir: string;
let host: DevHost;
let clock: FakeClock | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trunkline-devhost-'));
  await writeFile(join(dir, 'index.html'), INDEX);
  await writeFile(join(dir, 'secret.txt'), 'not served');
  const fake = new FakeClock();
  clock = fake;
  host = await startDevHost({ rendererDir: dir, engine: new SipEngine({ clock: fake, createChannel: () => new ScriptedChannel(fake) }) });
});

afterAll(async () => {
  // Stopping unregisters, which waits (in virtual time) for the REGISTER in flight.
  await Promise.all([host?.stop(), clock?.advanceAsync(5_000)]);
  await rm(dir, { recursive: true, force: true });
});

function connect(options: { token?: string; origin?: string; host?: string } = {}): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/bridge?token=${options.token ?? host.token}`, {
    origin: options.origin ?? host.origin,
    headers: options.host ? { host: options.host } : {},
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function request(ws: WebSocket, id: number, command: string, args: unknown[]): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString());
      if (message.id !== id) return;
      ws.off('message', onMessage);
      resolve(message.result);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, command, args }));
  });
}

describe('development host', () => {
  it("serves the page with the app's CSP header and the bridge script before the app", async () => {
    const response = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(host.policy).toBe(CONTENT_SECURITY_POLICY);
    const html = await response.text();
    expect(html.indexOf('<script src="./bridge.js"></script>')).toBeLessThan(html.indexOf('./assets/app.js'));
    const bridge = await fetch(`http://127.0.0.1:${host.port}/bridge.js`);
    expect(bridge.headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('serves only renderer files: no other types, nothing outside the folder', async () => {
    expect((await fetch(`http://127.0.0.1:${host.port}/secret.txt`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${host.port}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${host.port}/`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses a bridge connection without the token, from another origin, or for another host name', async () => {
    await expect(connect({ token: 'wrong' })).rejects.toThrow('HTTP 403');
    await expect(connect({ origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect({ host: 'rebind.example:80' })).rejects.toThrow('HTTP 403');
  });

  it('carries commands to the line service and its events back to every page', async () => {
    const ws = await connect();
    const events: { event: string }[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.event) events.push(message);
    });
    const added = await request(ws, 1, 'lines:add', [{ id: 'a', username: 'u', domain: 'example.org', servers: [{ host: 'h' }] }]);
    expect(added).toMatchObject({ ok: true, value: { config: { id: 'a', hasPassword: false } } });
    expect(await request(ws, 2, 'lines:add', [{ id: 'b' }])).toMatchObject({ ok: false, error: { fields: expect.any(Array) } });
    expect(await request(ws, 3, 'nope', [])).toEqual({ ok: false, error: { message: 'unknown command "nope"' } });
    await expect.poll(() => events.map((e) => e.event)).toContain('line:added');
    ws.close();
  });

  it('carries the phone commands to the call service, validated there', async () => {
    const ws = await connect();
    expect(await request(ws, 1, 'call:list', [])).toEqual({ ok: true, value: [] });
    expect(await request(ws, 2, 'call:history', [])).toEqual({ ok: true, value: { entries: [], missedUnseen: 0 } });
    expect(await request(ws, 3, 'call:dial', ['no-such-line', '1002'])).toMatchObject({ ok: false, error: { message: 'line: no line "no-such-line"', fields: [{ path: 'line' }] } });
    expect(await request(ws, 4, 'call:settings-update', [{ linksDialAtOnce: 1 }])).toEqual({ ok: false, error: { message: 'linksDialAtOnce: must be true or false' } });
    expect(await request(ws, 5, 'call:take-link', [])).toEqual({ ok: true, value: null });
    ws.close();
  });
});

describe('page helpers', () => {
  it("the renderer's own meta policy is the shell's header policy, less what a meta cannot carry", () => {
    const meta = pagePolicy(readFileSync(join(__dirname, '../../../renderer/index.html'), 'utf8'));
    const header = CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith('frame-ancestors')).join('; ');
    expect(meta).toBe(header);
  });

  it('reads the policy the page declares and refuses a page without one', () => {
    expect(pagePolicy(INDEX)).toBe(CSP);
    expect(() => pagePolicy('<html></html>')).toThrow('no Content-Security-Policy');
    expect(withBridge('<head><script src="a.js"></script></head>')).toBe('<head><script src="./bridge.js"></script>\n    <script src="a.js"></script></head>');
  });
});
