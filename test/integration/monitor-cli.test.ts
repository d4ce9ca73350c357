import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import { DOMAIN, eventually, USERS } from './engine-fixture';

let primary: KamailioInstance;
let backup: KamailioInstance;
const dir = mkdtempSync(join(tmpdir(), 'trunkline-monitor-'));

beforeAll(async () => {
  [primary, backup] = await Promise.all([
    startKamailio({ name: 'monitor-primary', users: USERS, domain: DOMAIN }),
    startKamailio({ name: 'monitor-backup', users: USERS, domain: DOMAIN }),
  ]);
});

afterAll(async () => {
  await Promise.all([primary?.stop(), backup?.stop()]);
});

function writeConfig(name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/**
 * Runs the monitor as `npm run monitor -- …` does (tsx main/monitor/cli.ts …), without npm in
 * between so signals reach it as they do from a terminal's Ctrl-C.
 */
function monitor(args: string[]) {
  const child = spawn(join('node_modules', '.bin', 'tsx'), ['main/monitor/cli.ts', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('headless monitor', () => {
  it('--json prints one event per line change, fails over, and on SIGTERM unregisters and exits 0', async () => {
    const config = writeConfig('lines.json', {
      lines: [{
        id: 'carrier-a', name: 'Carrier A', username: '1061', password: USERS['1061'], domain: DOMAIN,
        servers: [{ host: primary.ip, port: primary.ports.udp, transport: 'udp', expires: 3600 }, { host: backup.ip, port: backup.ports.udp, transport: 'udp' }],
        liveness: { interval: 5 },
      }],
    });
    const m = monitor(['--config', config, '--json']);
    const events = () => m.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    try {
      await eventually(() => events().some((ev) => ev.state === 'registered' && ev.server === 0), 20_000, 'registered on primary');
      const ev = events().find((x) => x.state === 'registered')!;
      for (const key of ['time', 'line', 'state', 'server', 'code', 'reason', 'expires', 'nextRefreshAt', 'nextRetryAt', 'nextFailbackAt', 'nextLivenessAt']) expect(ev).toHaveProperty(key);
      expect(ev).toMatchObject({ line: 'carrier-a', code: 200, expires: 3600 });
      expect(typeof ev.nextRefreshAt).toBe('number');

      await primary.kill();
      await eventually(() => events().some((x) => x.state === 'registered' && x.server === 1), 10_000, 'registered on backup');
      expect(await backup.bindings('1061')).toHaveLength(1);

      m.child.kill('SIGTERM');
      expect(await m.exited).toBe(0);
      expect(events().at(-1)).toMatchObject({ state: 'unregistered' });
      expect(await backup.bindings('1061')).toHaveLength(0);
      expect(m.out() + m.err()).not.toContain(USERS['1061']);
    } finally {
      m.child.kill('SIGKILL');
      await primary.start();
    }
  });

  it('npm run monitor in table mode shows every line; Ctrl-C (SIGINT to the whole process group) unregisters and exits 0', async () => {
    const config = writeConfig('table.json', {
      lines: [{ id: 'trunk-1', username: '1062', password: USERS['1062'], domain: DOMAIN, servers: [{ host: backup.ip, port: backup.ports.tcp, transport: 'tcp' }] }],
    });
    // As a terminal runs it: npm, its shell and the monitor share one process group, and Ctrl-C
    // signals all of them (npm then forwards a second copy to its child).
    const child = spawn('npm', ['run', 'monitor', '--', '--config', config], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      await eventually(() => /trunk-1\s+registered\s+primary/.test(out), 20_000, 'a table row showing registered');
      expect(out).toMatch(/LINE\s+STATE\s+SERVER\s+LAST RESPONSE/);
      expect(out).toContain('1/1 registered');
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(out).not.toContain('quitting without waiting');
      expect(await backup.bindings('1062')).toHaveLength(0);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('npm run monitor -- --help explains the options', async () => {
    const child = spawn('npm', ['run', '--silent', 'monitor', '--', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(out).toContain('--config <file>');
  });

  it.each([
    [{ lines: [{ id: 'x', username: 'u', domain: 'd', servers: [{ host: 'h', port: 99999 }] }] }, 'lines[0].servers[0].port: must be an integer from 1 to 65535 (got 99999)'],
    [{ lines: [{ id: 'x', username: 'u', domain: 'd', servers: [{ host: 'h' }], retryDelay: 1 }] }, 'lines[0].retryDelay: must be an integer from 30 to 600 seconds (got 1)'],
    ['{ not json', 'is not valid JSON'],
  ])('a bad config file exits non-zero naming the field (%#)', async (content, message) => {
    const path = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    const m = monitor(['--config', path]);
    expect(await m.exited).toBe(2);
    expect(m.err()).toContain(message);
  });
});
