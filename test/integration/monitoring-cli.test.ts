/**
 * The monitor's monitoring options as a person types them: wrong values exit 2 naming the option
 * and what is allowed, a taken port is reported, and a bare port listens on loopback only.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, waitForHttp } from '../harness/prometheus';

const dir = mkdtempSync(join(tmpdir(), 'trunkline-monitoring-cli-'));
const config = join(dir, 'monitor.json');
// One line toward a port nothing listens on: the monitor runs, nothing registers.
writeFileSync(config, JSON.stringify({ lines: [{ id: 'a', username: '1001', password: 'pw', domain: 'trunkline.test', servers: [{ host: '127.0.0.1', port: 9 }], liveness: { interval: 0 } }] }));

function monitor(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/monitor/cli.ts', '--config', config, '--json', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, err: () => stderr };
}

describe('monitor monitoring options', () => {
  it.each([
    [['--metrics', 'localhost:9464'], '--metrics: must be a port (1-65535, listening on 127.0.0.1) or ADDRESS:PORT'],
    [['--metrics-auth-file', join(dir, 'missing')], '--metrics-auth-file: cannot read'],
    [['--hep', 'homer:9060'], '--hep: must be udp:IP:PORT like udp:127.0.0.1:9060'],
    [['--hep-unmasked'], '--hep-password-file and --hep-unmasked need --hep'],
    [['--hep', 'udp:127.0.0.1:9060', '--hep-capture-id', '-1'], '--hep-capture-id: must be an integer from 0 to 4294967295'],
    [['--log-level', 'loud'], '--log-level: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
  ])('%j exits 2: %s', async (args, message) => {
    const m = monitor(args);
    expect(await m.exited).toBe(2);
    expect(m.err()).toContain(message);
  });

  it('a metrics auth file in another format is refused without echoing it', async () => {
    const file = join(dir, 'auth');
    writeFileSync(file, 'token hunter2\n');
    const m = monitor(['--metrics', '9', '--metrics-auth-file', file]);
    expect(await m.exited).toBe(2);
    expect(m.err()).toContain('must hold one line "bearer <token>" or "basic <user>:<password>"');
    expect(m.err()).not.toContain('hunter2');
  });

  it('a taken metrics port exits 2 naming the address', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const m = monitor(['--metrics', String(port)]);
      expect(await m.exited).toBe(2);
      expect(m.err()).toContain(`--metrics: cannot listen on 127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  });

  it('a bare port serves on 127.0.0.1 only; /readyz is 200 while running; SIGTERM exits 0', async () => {
    const port = await freePort();
    const m = monitor(['--metrics', String(port)]);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000, 'monitor', m.err);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toContain('trunkline_line_registered{line="a"} 0');
      // Bound to 127.0.0.1 itself, not to every address: another loopback address is refused.
      await expect(fetch(`http://127.0.0.2:${port}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
      m.child.kill('SIGTERM');
      expect(await m.exited).toBe(0);
      expect(m.err()).toContain('"msg":"metrics endpoint listening"');
    } finally {
      m.child.kill('SIGKILL');
    }
  });
});
