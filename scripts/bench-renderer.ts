/**
 * `npx tsx scripts/bench-renderer.ts`: the renderer's figures, printed (not asserted) beside their
 * targets. The trunk panel holds 5,000 lines fed by the real engine and LineService through the
 * development host, on synthetic servers (main/devhost/synthetic-channel.ts: answers after a few
 * milliseconds, no network), so the page receives the event stream a real 5,000-line desk would:
 * registrations at start, then liveness checks (every 30–119 s per line) and refreshes. Chromium
 * is Debian's, headless.
 *
 * Two windows are measured: countdowns alone (the engine quiet, a few seconds after start), and
 * countdowns while the engine streams liveness results (from 45 s after start).
 *
 *   --lines N      lines in the panel (default 5000)
 *   --seconds N    length of the measured window (default 10)
 *   --no-build     use out/renderer as it is
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CDPSession, Page } from '@playwright/test';
import { chromium } from '@playwright/test';
import { DEFAULT_RENDERER_DIR, startDevHost } from '../main/devhost/dev-host';
import { syntheticEngine, syntheticLines } from '../main/devhost/synthetic-lines';
import { benchAudioBus, benchRelayHop } from './bench-audio-bus';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const LINES = option('--lines', 5000);
const SECONDS = option('--seconds', 10);

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // The audio bus: WebRTC to the media host on 127.0.0.1, played without a user gesture.
  '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
];

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function bundleSizes(): { js: number; jsGzip: number; css: number; cssGzip: number } {
  const dir = join(DEFAULT_RENDERER_DIR, 'assets');
  const sizes = { js: 0, jsGzip: 0, css: 0, cssGzip: 0 };
  for (const name of readdirSync(dir)) {
    const body = readFileSync(join(dir, name));
    const gz = gzipSync(body, { level: 9 }).length;
    if (name.endsWith('.js')) {
      sizes.js += body.length;
      sizes.jsGzip += gz;
    } else if (name.endsWith('.css')) {
      sizes.css += body.length;
      sizes.cssGzip += gz;
    }
  }
  return sizes;
}

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

/** Main-thread busy share over `seconds` of whatever the page is doing, from CDP TaskDuration. */
async function busyOver(cdp: CDPSession, seconds: number): Promise<{ busy: number; script: number; layout: number; style: number }> {
  const a = await metrics(cdp);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await metrics(cdp);
  const wall = b.Timestamp! - a.Timestamp!;
  const share = (name: string) => (b[name]! - a[name]!) / wall;
  return { busy: share('TaskDuration'), script: share('ScriptDuration'), layout: share('LayoutDuration'), style: share('RecalcStyleDuration') };
}

// In-page code is passed as text: tsx names functions with a helper that does not exist in the page.

/** Scrolls the panel top to bottom in steps of a screenful; main-thread work per step, from CDP. */
async function scrollWork(page: Page, cdp: CDPSession, steps: number): Promise<number> {
  await page.evaluate(`document.querySelector('[role="grid"][aria-label="Trunk registrations"]').scrollTop = 0`);
  const a = await metrics(cdp);
  await page.evaluate(`(async () => {
    const grid = document.querySelector('[role="grid"][aria-label="Trunk registrations"]');
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    const stride = (grid.scrollHeight - grid.clientHeight) / ${steps};
    for (let i = 1; i <= ${steps}; i++) {
      grid.scrollTop = Math.round(i * stride);
      await frame();
      await frame();
    }
  })()`);
  const b = await metrics(cdp);
  return ((b.TaskDuration! - a.TaskDuration!) * 1000) / steps;
}

/** Time from a click on a column header to the frame after the re-sorted rows are drawn. */
async function sortTime(page: Page, column: string): Promise<number> {
  return page.evaluate(`(async () => {
    const header = [...document.querySelectorAll('[role="columnheader"] button')].find((b) => b.textContent.trim().startsWith(${JSON.stringify(column)}));
    const start = performance.now();
    header.click();
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return performance.now() - start;
  })()`);
}

async function main(): Promise<void> {
  if (!args.includes('--no-build')) execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  const size = bundleSizes();

  const engine = syntheticEngine();
  const host = await startDevHost({ lines: syntheticLines(LINES), engine });
  const hostStarted = Date.now();
  let events = 0;
  engine.onLine(() => events++);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const loadStart = Date.now();
    await page.goto(host.url);
    await page.getByText(`${LINES} lines`, { exact: true }).waitFor({ timeout: 60_000 });
    const loadMs = Date.now() - loadStart;
    const rows = await page.locator('[aria-label="Trunk registrations"] .row').count();
    // Let the start-up burst of registrations settle before measuring the steady state.
    await page.waitForTimeout(3000);

    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    let eventsBefore = events;
    const quiet = await busyOver(cdp, SECONDS);
    const quietRate = (events - eventsBefore) / SECONDS;

    await page.waitForTimeout(Math.max(0, hostStarted + 45_000 - Date.now()));
    eventsBefore = events;
    const streaming = await busyOver(cdp, SECONDS);
    const streamRate = (events - eventsBefore) / SECONDS;

    const scrollMs = await scrollWork(page, cdp, 60);
    const sortMs = [await sortTime(page, 'Refresh'), await sortTime(page, 'Refresh'), await sortTime(page, 'Line')];
    const heap = (await metrics(cdp)).JSHeapUsedSize!;

    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    console.log(`\nTrunkline renderer benchmark — ${LINES} lines, Chromium ${browser.version()}, ${SECONDS} s window\n`);
    console.log(`renderer JS              ${kb(size.js)} raw, ${kb(size.jsGzip)} gzipped      target ≤ 200 KB gzipped`);
    console.log(`renderer CSS             ${kb(size.css)} raw, ${kb(size.cssGzip)} gzipped`);
    console.log(`main thread busy         ${pct(quiet.busy)} over ${SECONDS} s of countdowns (${quietRate.toFixed(0)} line changes/s)   target ≤ 10 %`);
    console.log(`  script ${pct(quiet.script)}, style ${pct(quiet.style)}, layout ${pct(quiet.layout)}`);
    console.log(`main thread busy         ${pct(streaming.busy)} over ${SECONDS} s of countdowns while the engine pushes ${streamRate.toFixed(0)} line changes/s   target ≤ 10 %`);
    console.log(`  script ${pct(streaming.script)}, style ${pct(streaming.style)}, layout ${pct(streaming.layout)}`);
    console.log(`rows in the DOM          ${rows} of ${LINES}`);
    console.log(`first full table         ${loadMs} ms from navigation (host, bridge, 5,000 snapshots)`);
    console.log(`scroll                   ${scrollMs.toFixed(1)} ms of main-thread work per screenful (60 steps, top to bottom)`);
    console.log(`sort click to frame      ${sortMs.map((t) => `${t.toFixed(1)} ms`).join(', ')} (refresh ↑, refresh ↓, name)`);
    console.log(`JS heap used             ${(heap / 1024 / 1024).toFixed(1)} MB`);

    // The audio bus (scripts/bench-audio-bus.ts explains the method).
    const bus = await benchAudioBus(browser, { echoInHost: true });
    const ms = (x: number | null) => (x === null || Number.isNaN(x) ? '—' : `${x.toFixed(1)} ms`);
    console.log(`audio bus added latency  ${ms(bus.addedEachWayMs.median)} each way (median of ${bus.addedEachWayMs.n} paired bursts, p90 ${ms(bus.addedEachWayMs.p90)})   target ≤ 20 ms`);
    console.log(`  baseline page→page ${ms(bus.baselineMs.median)} one way; bus round trip ${ms(bus.busRoundTripMs.median)}; NetEQ delay baseline ${ms(bus.jitterBufferMs.baseline)}, bus ${ms(bus.jitterBufferMs.bus)}; arrival jitter ${ms(bus.arrivalJitterMs.baseline)} vs ${ms(bus.arrivalJitterMs.bus)}`);
    console.log(`main thread busy         ${pct(bus.mainThreadBusy)} during a bus call (audio playing through <audio>)   target ≤ 5 %`);
    const hop = await benchRelayHop();
    const t = (f: { p50: number; p90: number; p99: number; max: number }) => `p50 ${ms(f.p50)}, p90 ${ms(f.p90)}, p99 ${ms(f.p99)}, max ${ms(f.max)}`;
    console.log(`audio bus relay hop      bus→trunk ${t(hop.busToTrunk)}; trunk→bus ${t(hop.trunkToBus)} (werift in Node both ends, no Chromium)`);
    // NetEQ sizes its buffer from how late audio arrives and plays: on a loaded machine both paths buffer more, and unevenly.
    console.log(`  (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores; the latency figures mean little above ~1 per core)`);
  } finally {
    await browser.close();
    await host.stop();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
