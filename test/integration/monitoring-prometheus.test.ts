/**
 * The monitor in a real monitoring stack: two monitor processes (each one line on a primary and a
 * backup Kamailio; the second also a line with a wrong password) serve /metrics behind a bearer
 * token; a real Prometheus scrapes both every second and evaluates the shipped rules (with `for:`
 * shortened); a real Alertmanager posts to a webhook receiver in this test. Killing the primary
 * must page TrunkOnBackup, then killing the backup must show the lines unregistered and page
 * TrunkDown for each — and nothing may page for a healthy line before that.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertmanagerInstance } from '../harness/alertmanager';
import { startAlertmanager } from '../harness/alertmanager';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import type { PrometheusInstance } from '../harness/prometheus';
import { freePort, renderRulesForTest, startPrometheus, waitForHttp } from '../harness/prometheus';
import { DOMAIN, eventually, USERS } from './engine-fixture';

const run = promisify(execFile);
const RULES = join(process.cwd(), 'docs', 'prometheus', 'trunkline-rules.yml');
const TOKEN = 'scrape-token-7f3a';
const dir = mkdtempSync(join(tmpdir(), 'trunkline-monitoring-'));

/** The monitor as `npm run monitor -- …` runs it (node --import tsx main/monitor/cli.ts …): one process, so signals reach it. */
function monitor(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/monitor/cli.ts', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

interface Notification {
  status: string;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

describe('promtool', () => {
  it('promtool check rules accepts the shipped rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', RULES]);
    expect(stdout).toContain('SUCCESS: 7 rules found');
  });

  it('promtool test rules passes every case (each rule firing and not firing)', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', 'trunkline-rules.test.yml'], { cwd: join(process.cwd(), 'docs', 'prometheus') });
    expect(stdout).toContain('SUCCESS');
  });
});

describe('Prometheus scrapes two monitors; Alertmanager pages TrunkDown', () => {
  let primary: KamailioInstance;
  let backup: KamailioInstance;
  let prometheus: PrometheusInstance | null = null;
  let alertmanager: AlertmanagerInstance | null = null;
  let receiver: Server;
  const notifications: Notification[] = [];
  const monitors: ReturnType<typeof monitor>[] = [];
  const ports: number[] = [];

  beforeAll(async () => {
    [primary, backup] = await Promise.all([
      startKamailio({ name: 'prom-primary', users: USERS, domain: DOMAIN }),
      startKamailio({ name: 'prom-backup', users: USERS, domain: DOMAIN }),
    ]);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        notifications.push(JSON.parse(body) as Notification);
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const authFile = join(dir, 'metrics-auth');
    writeFileSync(authFile, `bearer ${TOKEN}\n`);
    for (const [i, user] of ['1081', '1082'].entries()) {
      const port = await freePort();
      ports.push(port);
      const config = join(dir, `monitor-${i}.json`);
      const badAuth = { id: 'bad-auth', username: '1083', password: 'not-the-password', domain: DOMAIN, servers: [{ host: primary.ip, port: primary.ports.udp, transport: 'udp' }] };
      writeFileSync(config, JSON.stringify({
        lines: [{
          id: `trunk-${i}`, username: user, password: USERS[user], domain: DOMAIN, liveness: { interval: 5 },
          // Failback probes every 30 s (the minimum): none while the primary is dead in this test.
          failback: { interval: 30 },
          servers: [{ host: primary.ip, port: primary.ports.udp, transport: 'udp' }, { host: backup.ip, port: backup.ports.udp, transport: 'udp' }],
        }, ...(i === 1 ? [badAuth] : [])],
      }));
      monitors.push(monitor(['--config', config, '--json', '--metrics', `127.0.0.1:${port}`, '--metrics-auth-file', authFile]));
    }
    await Promise.all(monitors.map((m, i) => waitForHttp(`http://127.0.0.1:${ports[i]}/readyz`, 60_000, 'monitor', m.err)));
    const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
    alertmanager = await startAlertmanager({ webhookUrl: webhook });
    prometheus = await startPrometheus({
      targets: ports.map((p) => `127.0.0.1:${p}`),
      rules: renderRulesForTest(RULES, '2s'),
      alertmanager: alertmanager.address,
      bearerToken: TOKEN,
    });
  });

  afterAll(async () => {
    for (const m of monitors) m.child.kill('SIGKILL');
    await Promise.all([prometheus?.stop(), alertmanager?.stop(), primary?.stop(), backup?.stop()]);
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('lines registered, then on the backup, then down: Prometheus shows each step and Alertmanager pages TrunkAuthFailed, TrunkOnBackup and TrunkDown', async () => {
    const prom = prometheus!;
    const firing = (alertname: string): Set<string> =>
      new Set(notifications.flatMap((n) => n.alerts.filter((a) => a.labels.alertname === alertname && a.status === 'firing').map((a) => a.labels.line!)));
    const lines = async (expr: string): Promise<string[]> => (await prom.query(expr)).map((s) => s.metric.line!).sort();
    // A scrape without the token is refused by the monitor itself.
    expect((await fetch(`http://127.0.0.1:${ports[0]}/metrics`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${ports[0]}/readyz`)).status).toBe(200);

    await eventually(async () => (await lines('trunkline_line_registered == 1')).length === 2, 30_000, 'both lines registered in Prometheus');
    expect(await lines('trunkline_line_registered == 1')).toEqual(['trunk-0', 'trunk-1']);
    expect((await prom.targets()).map((t) => t.health)).toEqual(['up', 'up']);
    expect(await lines('trunkline_line_active_server == 0')).toEqual(['trunk-0', 'trunk-1']);
    expect(await lines('trunkline_register_responses_total{class="2xx"} > 0')).toEqual(['trunk-0', 'trunk-1']);
    // Round trips come from the engine's registrationObserver (nothing derives a REGISTER RTT from
    // snapshots): every healthy line has timed REGISTERs and OPTIONS on the primary, on loopback
    // well under a second.
    await eventually(async () => (await lines('trunkline_liveness_rtt_seconds_count{server="0"} > 0')).length === 2, 20_000, 'liveness round trips in Prometheus');
    expect(await lines('trunkline_register_rtt_seconds_count{server="0"} > 0')).toEqual(['bad-auth', 'trunk-0', 'trunk-1']);
    expect(await lines('trunkline_register_rtt_seconds_bucket{server="0", le="1"} == ignoring (le) trunkline_register_rtt_seconds_count{server="0"}')).toEqual(['bad-auth', 'trunk-0', 'trunk-1']);
    expect(await lines('trunkline_register_rtt_seconds_sum{server="0"} > 0')).toEqual(['bad-auth', 'trunk-0', 'trunk-1']);
    expect((await prom.query('process_resident_memory_bytes')).length).toBe(2);
    // Every query of the shipped Grafana dashboard is valid PromQL and finds data.
    const dashboard = JSON.parse(readFileSync(join(process.cwd(), 'docs', 'grafana', 'trunkline-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const samples = await prom.query(target.expr.replaceAll('$instance', '.*').replaceAll('$line', '.*'));
        // Rates need two scrapes of a series; test calls are not scheduled here.
        if (!/rate\(|increase\(|test_call/.test(target.expr)) expect(samples.length, panel.title).toBeGreaterThan(0);
      }
    }

    // The line with a wrong password: auth-failed in Prometheus, TrunkAuthFailed at the webhook.
    await eventually(() => firing('TrunkAuthFailed').has('bad-auth'), 30_000, 'TrunkAuthFailed for bad-auth at the webhook');
    expect(await lines('trunkline_line_state{state="auth-failed"} == 1')).toEqual(['bad-auth']);
    // Each digest challenge is the final 401 of its own transaction: every line has 4xx, but only
    // the line with the wrong password has nothing else.
    expect(await lines('trunkline_register_responses_total{class="4xx"} > 0')).toEqual(['bad-auth', 'trunk-0', 'trunk-1']);
    expect(await lines('trunkline_register_responses_total{class="4xx"} unless on (instance, line) trunkline_register_responses_total{class="2xx"}')).toEqual(['bad-auth']);
    // The registered lines have been evaluated many times with `for: 2s`: nothing paged for them.
    const healthy = notifications.flatMap((n) => n.alerts).filter((a) => a.labels.line !== 'bad-auth');
    expect(healthy).toEqual([]);

    // Primary dies: both lines fail over (liveness every 5 s) and TrunkOnBackup pages.
    await primary.kill();
    await eventually(async () => (await lines('trunkline_line_active_server == 1')).length === 2, 30_000, 'both lines on the backup');
    expect(await lines('trunkline_line_failovers_total == 1')).toEqual(['trunk-0', 'trunk-1']);
    expect(await lines('trunkline_line_registered == 1')).toEqual(['trunk-0', 'trunk-1']);
    await eventually(() => firing('TrunkOnBackup').size === 2, 30_000, 'TrunkOnBackup for both lines at the webhook');
    expect(firing('TrunkDown').has('trunk-0') || firing('TrunkDown').has('trunk-1')).toBe(false);

    // Backup dies too: not registered, no active server, TrunkDown pages for each line.
    await backup.kill();
    await eventually(async () => (await lines('trunkline_line_registered == 0')).length === 3, 30_000, 'every line unregistered in Prometheus');
    expect(await lines('trunkline_line_active_server == -1')).toEqual(['bad-auth', 'trunk-0', 'trunk-1']);
    await eventually(() => firing('TrunkDown').has('trunk-0') && firing('TrunkDown').has('trunk-1'), 40_000, 'TrunkDown for both lines at the webhook');
    const alert = notifications.flatMap((n) => n.alerts).find((a) => a.labels.alertname === 'TrunkDown' && a.labels.line === 'trunk-0')!;
    expect(alert.labels).toMatchObject({ alertname: 'TrunkDown', severity: 'critical', job: 'trunkline', instance: `127.0.0.1:${ports[0]}` });
    expect(alert.annotations.summary).toBe('Trunk trunk-0 is not registered');
    expect(alert.annotations.description).toContain('Line trunk-0 on monitor 127.0.0.1:');
    // Nothing else fired on the way (one failover is not flapping).
    expect(new Set(notifications.flatMap((n) => n.alerts.map((a) => a.labels.alertname)))).toEqual(new Set(['TrunkAuthFailed', 'TrunkOnBackup', 'TrunkDown']));

    for (const m of monitors) m.child.kill('SIGTERM');
    expect(await Promise.all(monitors.map((m) => m.exited))).toEqual([0, 0]);
    for (const m of monitors) {
      expect(m.out() + m.err()).not.toContain(USERS['1081']);
      expect(m.out() + m.err()).not.toContain(USERS['1082']);
      expect(m.err()).not.toContain(TOKEN);
    }
  });
});
