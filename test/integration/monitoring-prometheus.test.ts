/**
 * The monitor in a real monitoring stack: two monitor processes (each one line on a primary and a
 * backup Kamailio) serve /metrics behind a bearer token; a real Prometheus scrapes both every
 * second and evaluates the shipped rules (with `for:` shortened); a real Alertmanager posts to a
 * webhook receiver in this test. Killing both Kamailio must show the lines unregistered in
 * Prometheus and page TrunkDown for each line — and nothing may page before that.
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
      writeFileSync(config, JSON.stringify({
        lines: [{
          id: `trunk-${i}`, username: user, password: USERS[user], domain: DOMAIN, liveness: { interval: 5 },
          servers: [{ host: primary.ip, port: primary.ports.udp, transport: 'udp' }, { host: backup.ip, port: backup.ports.udp, transport: 'udp' }],
        }],
      }));
      monitors.push(monitor(['--config', config, '--json', '--metrics', `127.0.0.1:${port}`, '--metrics-auth-file', authFile]));
    }
    await Promise.all(monitors.map((m, i) => waitForHttp(`http://127.0.0.1:${ports[i]}/readyz`, 20_000, 'monitor', m.err)));
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

  it('registered lines show in Prometheus; after both servers die they show unregistered and TrunkDown reaches the webhook', async () => {
    const prom = prometheus!;
    // A scrape without the token is refused by the monitor itself.
    expect((await fetch(`http://127.0.0.1:${ports[0]}/metrics`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${ports[0]}/readyz`)).status).toBe(200);

    const registered = await eventually(async () => {
      const samples = await prom.query('trunkline_line_registered == 1');
      return samples.length === 2 ? samples : undefined;
    }, 30_000, 'both lines registered in Prometheus');
    expect(registered.map((s) => s.metric.line).sort()).toEqual(['trunk-0', 'trunk-1']);
    expect((await prom.targets()).map((t) => t.health)).toEqual(['up', 'up']);
    expect((await prom.query('trunkline_line_active_server')).map((s) => s.value)).toEqual([0, 0]);
    expect((await prom.query('trunkline_line_state{state="registered"} == 1')).length).toBe(2);
    expect((await prom.query('trunkline_register_responses_total{class="2xx"} > 0')).length).toBe(2);
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
    // Registered for a few evaluations with `for: 2s`: nothing has paged.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await prom.alerts()).filter((a) => a.labels.alertname === 'TrunkDown')).toEqual([]);
    expect(notifications).toEqual([]);

    await Promise.all([primary.kill(), backup.kill()]);
    const down = await eventually(async () => {
      const samples = await prom.query('trunkline_line_registered == 0');
      return samples.length === 2 ? samples : undefined;
    }, 30_000, 'both lines unregistered in Prometheus');
    expect(down.map((s) => s.metric.line).sort()).toEqual(['trunk-0', 'trunk-1']);
    expect((await prom.query('trunkline_line_active_server')).map((s) => s.value)).toEqual([-1, -1]);

    const paged = await eventually(() => {
      const lines = new Set(notifications.flatMap((n) => n.alerts.filter((a) => a.labels.alertname === 'TrunkDown' && a.status === 'firing').map((a) => a.labels.line)));
      return lines.size === 2 ? lines : undefined;
    }, 40_000, 'TrunkDown for both lines at the webhook');
    expect([...paged].sort()).toEqual(['trunk-0', 'trunk-1']);
    const alert = notifications.flatMap((n) => n.alerts).find((a) => a.labels.line === 'trunk-0')!;
    expect(alert.labels).toMatchObject({ alertname: 'TrunkDown', severity: 'critical', job: 'trunkline', instance: `127.0.0.1:${ports[0]}` });
    expect(alert.annotations.summary).toBe('Trunk trunk-0 is not registered');
    expect(alert.annotations.description).toContain('Line trunk-0 on monitor 127.0.0.1:');
    // No other alert fired on the way (a dead trunk is down, not flapping or failing auth).
    expect(new Set(notifications.flatMap((n) => n.alerts.map((a) => a.labels.alertname)))).toEqual(new Set(['TrunkDown']));

    for (const m of monitors) m.child.kill('SIGTERM');
    expect(await Promise.all(monitors.map((m) => m.exited))).toEqual([0, 0]);
    for (const m of monitors) {
      expect(m.out() + m.err()).not.toContain(USERS['1081']);
      expect(m.out() + m.err()).not.toContain(USERS['1082']);
      expect(m.err()).not.toContain(TOKEN);
    }
  });
});
