/**
 * Service mode against a real Kamailio: SIGHUP re-reads the config and applies only the
 * difference. A removed line unregisters, a changed one re-registers with its new config, a new
 * one registers, and an untouched line sends nothing at all (Kamailio's wire log). An invalid file
 * is refused whole, with field-named errors on stderr, and the running set stays. Passwords come
 * from a file and from an environment variable and never reach the output.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import { DOMAIN, eventually, USERS } from './engine-fixture';

let kamailio: KamailioInstance;
const dir = mkdtempSync(join(tmpdir(), 'trunkline-reload-'));

beforeAll(async () => {
  kamailio = await startKamailio({ name: 'reload', users: USERS, domain: DOMAIN });
});

afterAll(async () => {
  await kamailio?.stop();
});

function monitor(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/monitor/cli.ts', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

const server = (extra: Record<string, unknown> = {}) => ({ host: kamailio.ip, port: kamailio.ports.udp, transport: 'udp', ...extra });

describe('SIGHUP reload', () => {
  it('adds, removes and changes lines, leaves the untouched one alone, and refuses an invalid file whole', async () => {
    const config = join(dir, 'monitor.json');
    writeFileSync(join(dir, 'keep.secret'), `${USERS['1091']}\n`);
    const keep = { id: 'keep', username: '1091', passwordFile: 'keep.secret', domain: DOMAIN, servers: [server()] };
    const drop = { id: 'drop', username: '1092', passwordEnv: 'TRUNK_DROP_PASSWORD', domain: DOMAIN, servers: [server()] };
    const edit = { id: 'edit', username: '1093', password: USERS['1093'], domain: DOMAIN, servers: [server({ expires: 3600 })] };
    const added = { id: 'added', username: '1094', password: USERS['1094'], domain: DOMAIN, servers: [server()] };
    writeFileSync(config, JSON.stringify({ lines: [keep, drop, edit] }));
    const m = monitor(['--config', config, '--json', '--log-level', 'debug'], { TRUNK_DROP_PASSWORD: USERS['1092']! });
    const events = () => m.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line: string; state: string; expires: number | null });
    const logs = () => m.err().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    try {
      await eventually(() => ['keep', 'drop', 'edit'].every((id) => events().some((e) => e.line === id && e.state === 'registered')), 20_000, 'three lines registered');
      expect(await kamailio.bindings('1091')).toHaveLength(1);
      expect(await kamailio.bindings('1092')).toHaveLength(1);
      kamailio.clearWire();
      const eventsBefore = events().length;

      // keep: identical (the same password file, fields in another order); drop: gone;
      // edit: another expiry; added: new.
      writeFileSync(config, JSON.stringify({ lines: [{ servers: keep.servers, domain: DOMAIN, passwordFile: 'keep.secret', username: '1091', id: 'keep' }, { ...edit, servers: [server({ expires: 1800 })] }, added] }));
      m.child.kill('SIGHUP');

      await eventually(() => events().some((e) => e.line === 'added' && e.state === 'registered'), 15_000, 'the added line registered');
      await eventually(() => events().slice(eventsBefore).some((e) => e.line === 'edit' && e.state === 'registered' && e.expires === 1800), 15_000, 'the changed line re-registered with 1800 s');
      await eventually(async () => (await kamailio.bindings('1092')).length === 0, 10_000, 'the removed line unregistered');
      await kamailio.waitForWire((r) => r.method === 'REGISTER' && r.fromUser === '1092' && r.expiresHeader === '0', 5000);
      expect(logs().find((l) => l.msg === 'config reloaded')).toMatchObject({ added: ['added'], removed: ['drop'], changed: ['edit'], unchanged: 1 });
      // Nothing on the wire for the untouched line, and its binding is still there.
      await new Promise((r) => setTimeout(r, 1500));
      expect(kamailio.wire({ fromUser: '1091' })).toEqual([]);
      expect(events().slice(eventsBefore).filter((e) => e.line === 'keep')).toEqual([]);
      expect(await kamailio.bindings('1091')).toHaveLength(1);
      expect(kamailio.wire({ method: 'REGISTER', fromUser: '1093' }).length).toBeGreaterThan(0);

      // An invalid file: one bad field among good changes. Nothing of it is applied.
      kamailio.clearWire();
      const eventsBeforeInvalid = events().length;
      writeFileSync(config, JSON.stringify({ lines: [keep, { ...added, servers: [server({ port: 99999 })] }, { ...drop, id: 'another', username: '1095', passwordEnv: undefined, password: USERS['1095'] }] }));
      m.child.kill('SIGHUP');
      await eventually(() => logs().some((l) => l.level === 'error' && String(l.msg).startsWith('reload refused')), 10_000, 'the refusal logged');
      const refusal = logs().find((l) => l.level === 'error')!;
      expect(refusal.errors).toEqual(['lines[1].servers[0].port: must be an integer from 1 to 65535 (got 99999)']);
      await new Promise((r) => setTimeout(r, 1500));
      expect(kamailio.wire()).toEqual([]);
      expect(events().slice(eventsBeforeInvalid)).toEqual([]);
      expect((await kamailio.bindings('1095'))).toHaveLength(0);

      m.child.kill('SIGTERM');
      expect(await m.exited).toBe(0);
      // The running set at quit was keep, edit, added: all unregistered.
      expect(new Set(events().filter((e) => e.state === 'unregistered').map((e) => e.line))).toEqual(new Set(['drop', 'keep', 'edit', 'added']));
      for (const user of ['1091', '1092', '1093', '1094', '1095']) expect(m.out() + m.err()).not.toContain(USERS[user]);
    } finally {
      m.child.kill('SIGKILL');
    }
  });
});
