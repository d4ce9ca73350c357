/**
 * Issue 8's "click on Call → INVITE on the wire" (target ≤ 50 ms), printed, never asserted:
 * `npx tsx scripts/bench-dial.ts`.
 *
 * Method. The built renderer in headless Chromium (fake microphone), through the development host,
 * against a real Kamailio and a baresip far end that answers. A capturing click listener in the
 * page timestamps the click (`performance.timeOrigin + performance.now()`, epoch ms); the INVITE's
 * time is the engine's trace entry for it (epoch ms from the same machine clock, taken when the
 * message is handed to the socket). Each run: click Call, wait for the INVITE, hang up. The first
 * run is the session's first call (the audio bus still closed: it opens in parallel); the others
 * find the bus open. `--warm-media` starts the media host first, to tell its cold start (spawning
 * the child process, loading werift) apart from the page's part. Needs `npx vite build` first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { startDevHost } from '../main/devhost/dev-host';
import { startBaresip } from '../test/harness/baresip';
import { pickLoopbackIp, startKamailio } from '../test/harness/kamailio';
import { account, DOMAIN, lineConfig, serverOf, USERS } from '../test/integration/engine-fixture';

const LINE = 'bench';
const RUNS = 5;

async function until<T>(read: () => T | null | Promise<T | null>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function main(): Promise<void> {
  const kamailio = await startKamailio({ name: 'bench-dial', users: USERS, domain: DOMAIN, ip: await pickLoopbackIp() });
  const dataDir = await mkdtemp(join(tmpdir(), 'tl-bench-dial-'));
  const host = await startDevHost({
    dataDir,
    lines: [lineConfig({ id: LINE, name: 'Bench line', ...account('1061'), servers: [serverOf(kamailio)], calls: { rtpPortMin: 43000, rtpPortMax: 43999 }, liveness: { interval: 0 } })],
  });
  const far = await startBaresip({
    name: 'bench1062', user: '1062', password: USERS['1062']!, registrar: { ip: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' },
    domain: DOMAIN, answerMode: 'auto', record: false,
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required'],
  });
  const figures: number[] = [];
  try {
    await far.registered();
    // --warm-media: the media host (a child process) already started, as after an incoming call.
    if (process.argv.includes('--warm-media')) await host.calls.prepareMedia();
    const page = await browser.newPage();
    await page.goto(host.url);
    await page.keyboard.press('Control+d');
    await page.getByRole('combobox', { name: 'Line to call from' }).filter({ hasText: 'registered' }).waitFor({ timeout: 15_000 });
    // Runs in the page (a string: this script is type-checked without the DOM library).
    await page.evaluate(`
      window.clickedAt = null;
      window.addEventListener('click', (event) => {
        if (event.target.closest('button')?.textContent?.trim() === 'Call') window.clickedAt = performance.timeOrigin + performance.now();
      }, { capture: true });
    `);
    for (let run = 0; run < RUNS; run++) {
      const before = host.engine.trace(LINE).length;
      await page.getByRole('textbox', { name: 'Number or SIP address to call' }).fill('1062');
      await page.evaluate('window.clickedAt = null');
      await page.getByRole('button', { name: 'Call', exact: true }).click();
      const invite = await until(() => host.engine.trace(LINE).slice(before).find((e) => e.direction === 'sent' && e.text.startsWith('INVITE ')) ?? null);
      const clickedAt = (await page.evaluate('window.clickedAt')) as number | null;
      if (clickedAt === null) throw new Error('the click was not seen');
      figures.push(invite.time - clickedAt);
      const card = page.getByRole('article', { name: /^Call with/ }).first();
      await card.getByTestId('call-state').filter({ hasText: /^Connected/ }).waitFor({ timeout: 15_000 });
      await card.getByRole('button', { name: 'Hang up' }).click();
      await card.getByTestId('call-state').filter({ hasText: /^Ended/ }).waitFor({ timeout: 15_000 });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await browser.close();
    await far.stop();
    await host.stop();
    await kamailio.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const rest = figures.slice(1).sort((a, b) => a - b);
  process.stdout.write(`click on Call → INVITE on the wire (ms): first call of the session ${figures[0]!.toFixed(1)}; later calls median ${rest[Math.floor(rest.length / 2)]!.toFixed(1)} (n=${rest.length}, all: ${figures.map((f) => f.toFixed(1)).join(', ')}); target ≤ 50\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
