import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startDevHost } from '../../../main/devhost/dev-host';
import { DEFAULT_SETTINGS } from '../../../main/shell/line-repository';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('the metrics setting: on at start, off and back on through settings:update, closed when the host stops', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trunkline-devhost-diag-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'" /></head><body></body></html>');
  const port = await freePort();
  const host = await startDevHost({ rendererDir: dir, settings: { ...DEFAULT_SETTINGS, metrics: { enabled: true, port } } });
  const url = `http://127.0.0.1:${port}/metrics`;
  try {
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('trunkline_line_registered');

    expect(await host.service.dispatch('settings:update', [{ metrics: { enabled: false } }])).toMatchObject({ ok: true });
    await host.diagnostics.settled();
    await expect(fetch(url)).rejects.toThrow();

    await host.service.dispatch('settings:update', [{ metrics: { enabled: true } }]);
    await host.diagnostics.settled();
    expect((await fetch(url)).status).toBe(200);
  } finally {
    await host.stop();
    await rm(dir, { recursive: true, force: true });
  }
  await expect(fetch(url)).rejects.toThrow();
});
