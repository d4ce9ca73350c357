import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES, isAppUrl } from '../../../main/shell/app-origin';
import { createAppProtocolHandler, resolveAssetPath } from '../../../main/shell/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../../main/shell/content-security-policy';

let base: string;
let root: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'trunkline-protocol-'));
  root = join(base, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Trunkline</title>');
  writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(base, 'secret.txt'), 'outside the app folder');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const handler = () => createAppProtocolHandler(root, (path) => readFile(path));
const get = (url: string, method = 'GET') => handler()(new Request(url, { method }));

describe('the UI is served from the app over app://trunkline/ only', () => {
  it('the scheme is standard and secure (a real origin, a secure context for the microphone), and nothing more', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } });
    expect(APP_ENTRY_URL).toBe('app://trunkline/index.html');
  });

  it('recognises the app origin in every form Chromium reports it, and nothing that imitates it', () => {
    for (const url of ['app://trunkline', 'app://trunkline/', 'app://trunkline/index.html', 'app://TRUNKLINE/x']) expect(isAppUrl(url)).toBe(true);
    for (const url of ['app://evil/', 'https://trunkline/', 'app://trunkline.evil.com/', 'app://user@trunkline/', 'app://trunkline:8080/', 'file:///index.html', '', 'null', undefined, null]) {
      expect(isAppUrl(url as string)).toBe(false);
    }
  });

  it('serves index.html for / and built assets with their types, every response carrying the CSP', async () => {
    const index = await get('app://trunkline/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await index.text()).toContain('<title>Trunkline</title>');
    const script = await get('app://trunkline/assets/index-abc.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('refuses every way out of the renderer folder', async () => {
    for (const url of [
      'app://trunkline/../secret.txt',
      'app://trunkline/%2e%2e/secret.txt',
      'app://trunkline/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://trunkline/..%5csecret.txt',
      'app://trunkline/assets//index-abc.js',
      'app://trunkline/%00index.html',
      'app://trunkline/C:%5cWindows%5cwin.ini',
    ]) {
      const response = await get(url);
      expect([403, 404], url).toContain(response.status);
      expect(await response.text(), url).not.toContain('outside the app folder');
    }
    expect(resolveAssetPath(root, 'app://trunkline/%2e%2e%2fsecret.txt')).toEqual({ ok: false, status: 403, reason: 'path leaves the app folder' });
    expect(resolveAssetPath(root, 'app://trunkline/%E0%A4%A')).toMatchObject({ ok: false, status: 400 });
  });

  it('refuses other hosts, and anything but GET and HEAD', async () => {
    expect((await get('app://other/index.html')).status).toBe(403);
    expect((await get('app://trunkline/index.html', 'POST')).status).toBe(405);
    const head = await get('app://trunkline/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('a missing file is a 404 that still carries the CSP; a missing UI says how to build it', async () => {
    const missing = await get('app://trunkline/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const unbuilt = await createAppProtocolHandler(join(base, 'nothing'), (path) => readFile(path))(new Request('app://trunkline/'));
    expect(await unbuilt.text()).toBe('the UI is not built (run npm run build)');
  });
});
