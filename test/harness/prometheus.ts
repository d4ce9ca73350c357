/**
 * A real Prometheus (Debian's `prometheus` 2.42) for one test file: a generated config scraping
 * the given targets every second and evaluating the given rules every second, listening on a free
 * loopback port, its TSDB in a temporary directory. Bounded start (until /-/ready answers), and
 * stop() kills it and removes the directory. Also renders the shipped rules with `for:` shortened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ensureSystemPackages } from './install';

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Children alive in this process, killed on exit so a crashed test leaves nothing behind. */
const live = new Set<ChildProcess>();
process.once('exit', () => live.forEach((child) => child.kill('SIGKILL')));

/** Spawns a long-running tool, keeping the tail of its output for error messages. */
export function spawnTool(command: string, args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    live.delete(child);
    resolve(code);
  }));
  return { child, output: () => output, exited };
}

/** SIGTERM, then SIGKILL after a bound; resolves once the process is gone. */
export async function stopTool(tool: { child: ChildProcess; exited: Promise<number | null> }): Promise<void> {
  if (tool.child.exitCode !== null || tool.child.signalCode !== null) return;
  tool.child.kill('SIGTERM');
  const timer = setTimeout(() => tool.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await tool.exited;
  clearTimeout(timer);
}

/** Polls `url` until it answers 200, or throws with `what` and the tool's output. */
export async function waitForHttp(url: string, timeoutMs: number, what: string, output: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  throw new Error(`${what} not ready at ${url} within ${timeoutMs} ms:\n${output().slice(-3000)}`);
}

/**
 * The shipped rules file with every `for:` replaced by `forDuration` (e.g. "2s"), for a test that
 * cannot wait minutes. Thresholds and expressions stay as shipped.
 */
export function renderRulesForTest(path: string, forDuration: string): string {
  return readFileSync(path, 'utf8').replace(/^(\s+)for: \S+$/gm, `$1for: ${forDuration}`);
}

export interface PrometheusOptions {
  /** host:port of each /metrics endpoint, all scraped under job "trunkline". */
  targets: string[];
  /** Rules file content (YAML). */
  rules?: string;
  /** host:port of an Alertmanager to send alerts to. */
  alertmanager?: string;
  /** Sent as `Authorization: Bearer …` on every scrape (monitors run with --metrics-auth-file). */
  bearerToken?: string;
}

/** One sample of an instant query. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusInstance {
  readonly url: string;
  /** An instant query through the HTTP API (/api/v1/query). */
  query(expr: string): Promise<Sample[]>;
  /** Active alerts as /api/v1/alerts lists them. */
  alerts(): Promise<{ labels: Record<string, string>; state: string }[]>;
  /** Scrape health per target (/api/v1/targets). */
  targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusInstance> {
  await ensureSystemPackages(['prometheus']);
  const dir = await mkdtemp(join(tmpdir(), 'trunkline-prometheus-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    ...(options.rules ? ['rule_files: [rules.yml]'] : []),
    ...(options.alertmanager ? ['alerting:', '  alertmanagers:', `    - static_configs: [{ targets: ["${options.alertmanager}"] }]`] : []),
    'scrape_configs:',
    '  - job_name: trunkline',
    `    static_configs: [{ targets: [${options.targets.map((t) => `"${t}"`).join(', ')}] }]`,
    ...(options.bearerToken ? ['    authorization:', `      credentials: "${options.bearerToken}"`] : []),
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), `${config}\n`);
  if (options.rules) await writeFile(join(dir, 'rules.yml'), options.rules);
  const url = `http://127.0.0.1:${port}`;
  const tool = spawnTool('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    // A firing alert is sent at once; re-sent every second so a slow Alertmanager start loses none.
    '--rules.alert.resend-delay=1s',
    '--log.level=warn',
  ]);
  const stop = async (): Promise<void> => {
    await stopTool(tool);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${url}/-/ready`, START_TIMEOUT_MS, 'prometheus', tool.output);
  } catch (error) {
    await stop();
    throw error;
  }
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    url,
    query: async (expr) => {
      const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    alerts: async () => (await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts')).alerts,
    targets: async () => (await api<{ activeTargets: { scrapeUrl: string; health: string; lastError: string }[] }>('/api/v1/targets')).activeTargets,
    stop,
  };
}
