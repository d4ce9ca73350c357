/**
 * Scheduled test calls from the monitor process (`npm run monitor -- --json --metrics …`): one
 * line's testCall dials an auto-answering baresip through a real Kamailio, another dials a user
 * nobody registered (Kamailio answers 404). /metrics, scraped over HTTP, and the JSON events on
 * stdout show the outcome: answered with a plausible post-dial delay and MOS, or failed with 404.
 * The cadence (`every` 30 s, the minimum) is seen once: the answered counter goes from 1 to 2.
 * A SIGHUP that removes the testCall stops it without re-registering the line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaresipInstance } from '../harness/baresip';
import { startBaresip } from '../harness/baresip';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import { freePort, waitForHttp } from '../harness/prometheus';
import { DOMAIN, eventually, USERS } from './engine-fixture';

let kamailio: KamailioInstance;
let farEnd: BaresipInstance;
const dir = mkdtempSync(join(tmpdir(), 'trunkline-monitoring-test-call-'));

beforeAll(async () => {
  kamailio = await startKamailio({ name: 'monitor-test-call', users: USERS, domain: DOMAIN });
  farEnd = await startBaresip({
    name: 'tc1091',
    user: '1091',
    password: USERS['1091']!,
    registrar: { ip: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' },
    domain: DOMAIN,
    answerMode: 'auto',
    record: false,
    tone: { frequencyHz: 440 },
  });
  await farEnd.registered();
});

afterAll(async () => {
  await Promise.all([farEnd?.stop(), kamailio?.stop()]);
});

/** The value of one sample of the exposition text, or null when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | null {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2]!.split(',');
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return null;
}

interface TestCallEvent {
  time: number;
  line: string;
  event: 'test-call';
  result: 'answered' | 'failed';
  code: number;
  reason: string;
  setupMs: number | null;
  mos: number | null;
  jitterMs: number | null;
  lost: number | null;
}

function lineConfig(id: string, user: string, testCall: Record<string, unknown> | null) {
  return {
    id, username: user, password: USERS[user], domain: DOMAIN, liveness: { interval: 0 },
    servers: [{ host: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' }],
    calls: { rtpPortMin: 41000, rtpPortMax: 41999 },
    ...(testCall ? { testCall } : {}),
  };
}

describe('scheduled test calls from the monitor', () => {
  it('answered by baresip: success 1, setup and MOS plausible, counted every 30 s; unknown callee: 404; SIGHUP removes a schedule without re-registering', async () => {
    const port = await freePort();
    const config = join(dir, 'monitor.json');
    const ok = lineConfig('tc-ok', '1092', { to: '1091', every: 30, duration: 2, tone: 1000 });
    const unknown = lineConfig('tc-404', '1093', { to: '1098', every: 30, duration: 2 });
    writeFileSync(config, JSON.stringify({ lines: [ok, unknown] }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/monitor/cli.ts', '--config', config, '--json', '--metrics', `127.0.0.1:${port}`], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const testCalls = (line: string): TestCallEvent[] =>
      stdout.split('\n').filter((l) => l.includes('"event":"test-call"')).map((l) => JSON.parse(l) as TestCallEvent).filter((e) => e.line === line);
    const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000, 'monitor', () => stderr);
      await eventually(() => testCalls('tc-ok').length >= 1 && testCalls('tc-404').length >= 1, 30_000, `a test call result for each line (stderr: ${stderr.slice(-2000)})`);

      const [answered] = testCalls('tc-ok');
      expect(answered).toMatchObject({ result: 'answered', code: 200 });
      expect(answered!.setupMs).toBeGreaterThan(0);
      expect(answered!.setupMs).toBeLessThan(2_000);
      expect(answered!.mos).toBeGreaterThan(3.5);
      expect(answered!.lost).toBe(0);
      expect(answered!.jitterMs).toBeGreaterThanOrEqual(0);
      const [notFound] = testCalls('tc-404');
      expect(notFound).toMatchObject({ result: 'failed', code: 404, setupMs: null, mos: null });
      expect(notFound!.reason).toMatch(/not found/i);
      // The far end really took the call, and heard our tone's RTP; the 404 went nowhere near it.
      expect(farEnd.sipMessages(/^INVITE /).length).toBe(1);
      expect(kamailio.wire({ method: 'INVITE', fromUser: '1093' })).toHaveLength(1);

      let text = await scrape();
      expect(sample(text, 'trunkline_test_call_success', { line: 'tc-ok' })).toBe(1);
      expect(sample(text, 'trunkline_test_call_last_code', { line: 'tc-ok' })).toBe(200);
      const setupS = sample(text, 'trunkline_test_call_setup_seconds', { line: 'tc-ok' })!;
      expect(setupS).toBeGreaterThan(0);
      expect(setupS).toBeLessThan(2);
      expect(sample(text, 'trunkline_test_call_mos', { line: 'tc-ok' })).toBeGreaterThan(3.5);
      expect(sample(text, 'trunkline_test_call_packets_lost_ratio', { line: 'tc-ok' })).toBe(0);
      expect(sample(text, 'trunkline_test_calls_total', { line: 'tc-ok', result: 'answered' })).toBe(1);
      expect(sample(text, 'trunkline_test_call_success', { line: 'tc-404' })).toBe(0);
      expect(sample(text, 'trunkline_test_call_last_code', { line: 'tc-404' })).toBe(404);
      expect(sample(text, 'trunkline_test_calls_total', { line: 'tc-404', result: 'failed' })).toBe(1);
      expect(sample(text, 'trunkline_test_call_mos', { line: 'tc-404' })).toBeNull();

      // Every 30 s from the previous start: the second answered call increments the counter.
      await eventually(() => testCalls('tc-ok').length >= 2, 40_000, 'the second scheduled test call');
      // Two calls, one after the other (the exact cadence is unit-tested under the fake clock: here
      // the first call's start includes forking the media host, which a loaded machine makes slow).
      const invites = kamailio.wire({ method: 'INVITE', fromUser: '1092' });
      expect(new Set(invites.map((w) => w.callId)).size).toBe(2);
      text = await scrape();
      expect(sample(text, 'trunkline_test_calls_total', { line: 'tc-ok', result: 'answered' })).toBe(2);
      expect(farEnd.sipMessages(/^INVITE /).length).toBe(2);

      // SIGHUP with tc-404's testCall removed: no more calls from it, and its registration is untouched.
      const registersBefore = kamailio.wire({ method: 'REGISTER', fromUser: '1093' }).length;
      writeFileSync(config, JSON.stringify({ lines: [ok, lineConfig('tc-404', '1093', null)] }));
      child.kill('SIGHUP');
      await eventually(() => stderr.includes('"msg":"config reloaded"'), 10_000, 'reloaded');
      const invitesBefore = kamailio.wire({ method: 'INVITE', fromUser: '1093' }).length;
      await new Promise((r) => setTimeout(r, 32_000 - (Date.now() - testCalls('tc-404').at(-1)!.time)));
      expect(kamailio.wire({ method: 'INVITE', fromUser: '1093' }).length).toBe(invitesBefore);
      expect(kamailio.wire({ method: 'REGISTER', fromUser: '1093' }).length).toBe(registersBefore);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout + stderr).not.toContain(USERS['1092']);
    } finally {
      child.kill('SIGKILL');
    }
  }, 150_000);
});
