// The README's phone pictures, from a real scene: lines on a real Kamailio, real calls with a real
// baresip far end, and a call history written beforehand as the host keeps it (its data folder).
// Saved to .tmp/screenshots/ on every run; `UPDATE_SCREENSHOTS=1` refreshes docs/screenshots/.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { DevHost } from '../../main/devhost/dev-host';
import { startDevHost } from '../../main/devhost/dev-host';
import type { CallRecord } from '../../preload/contract';
import type { BaresipInstance } from '../harness/baresip';
import { startBaresip } from '../harness/baresip';
import type { KamailioInstance } from '../harness/kamailio';
import { pickLoopbackIp, startKamailio } from '../harness/kamailio';
import { account, DOMAIN, lineConfig, serverOf, USERS } from '../integration/engine-fixture';
import { expectNoProblems, openApp } from './app-page';

const SHOTS = process.env.UPDATE_SCREENSHOTS ? 'docs/screenshots' : '.tmp/screenshots';

test.use({
  viewport: { width: 1280, height: 760 },
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
    ],
  },
});

let kamailio: KamailioInstance;
let host: DevHost;
let dataDir: string;
const phones: BaresipInstance[] = [];

/** A day of calls, as the history file holds them (newest first). */
function pastCalls(now: number): CallRecord[] {
  const min = 60_000;
  const rec = (i: number, over: Partial<CallRecord>): CallRecord => ({
    id: `past-${i}`, line: 'desk', direction: 'outgoing', remote: { uri: 'sip:+14155550134@trunkline.test', user: '+14155550134', displayName: null },
    startedAt: now - i * 37 * min, answeredAt: now - i * 37 * min + 4_000, endedAt: now - i * 37 * min + 4_000 + (i * 53_000) % 600_000,
    durationMs: (i * 53_000) % 600_000, code: 200, reason: 'OK', endedBy: 'local', serverLabel: null, failovers: 0, missed: false, ...over,
  });
  const party = (user: string, displayName: string | null) => ({ uri: `sip:${user}@trunkline.test`, user, displayName });
  return [
    rec(1, { direction: 'incoming', remote: party('+442079460321', 'Hartley & Sons'), answeredAt: null, durationMs: 0, code: 487, reason: 'Request Terminated', endedBy: 'remote', missed: true }),
    rec(2, { remote: party('1071', 'Support queue') }),
    rec(3, { direction: 'incoming', remote: party('+14155550178', 'Dana Whitfield'), line: 'sales' }),
    rec(4, { remote: party('+498930000123', null), answeredAt: null, durationMs: 0, code: 486, reason: 'Busy Here', endedBy: 'remote' }),
    rec(5, { direction: 'incoming', remote: party('+33142868200', 'Bureau Paris'), answeredAt: null, durationMs: 0, code: 486, reason: 'Busy Here', endedBy: 'local' }),
    rec(6, { remote: party('+14155550134', 'Acme Logistics'), line: 'sales' }),
    rec(7, { direction: 'incoming', remote: party('1072', 'Reception'), answeredAt: null, durationMs: 0, code: 487, reason: 'Request Terminated', endedBy: 'remote', missed: true }),
    rec(8, { remote: party('+442079460321', 'Hartley & Sons') }),
    rec(9, { remote: party('+15550100199', null), answeredAt: null, durationMs: 0, code: 404, reason: 'Not Found', endedBy: 'remote' }),
  ];
}

test.beforeAll(async () => {
  kamailio = await startKamailio({ name: 'e2e-phone-shots', users: USERS, domain: DOMAIN, ip: await pickLoopbackIp() });
  dataDir = await mkdtemp(join(tmpdir(), 'tl-e2e-shots-'));
  const history = pastCalls(Date.now());
  await writeFile(join(dataDir, 'calls.json'), JSON.stringify({ history, missedUnseen: 2, settings: { linksDialAtOnce: false, raiseOnIncoming: true, inputDevice: null, outputDevice: null, ringerDevice: null } }));
  host = await startDevHost({
    dataDir,
    lines: [
      lineConfig({ id: 'desk', name: 'Desk line', ...account('1091'), displayName: 'Support desk', servers: [serverOf(kamailio)], calls: { rtpPortMin: 44000, rtpPortMax: 44999 } }),
      lineConfig({ id: 'sales', name: 'Sales trunk', ...account('1092'), servers: [serverOf(kamailio, 'tcp')], calls: { rtpPortMin: 45000, rtpPortMax: 45999 } }),
      lineConfig({ id: 'lab', name: 'Lab trunk', ...account('1093'), servers: [{ host: kamailio.ip, port: 5099, transport: 'udp' }], retryDelay: 90 }),
    ],
  });
});

test.afterAll(async () => {
  await Promise.all(phones.splice(0).map((p) => p.stop()));
  await host?.stop();
  await kamailio?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('screenshots of the phone: dialer with recent calls, an incoming call, a call in progress, the history', async ({ page }) => {
  const caller = await startBaresip({ name: 'shot1094', user: '1094', password: USERS['1094']!, registrar: { ip: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' }, domain: DOMAIN, answerMode: 'manual', record: false });
  phones.push(caller);
  await caller.registered();

  const app = await openApp(page, host);
  await page.getByLabel('Theme').selectOption('light');
  const phoneTab = page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: /^Phone/ });
  await expect(phoneTab.getByLabel('2 missed')).toBeVisible();
  await page.keyboard.press('Control+d');
  await expect(page.getByRole('combobox', { name: 'Line to call from' })).toContainText('Desk line — registered', { timeout: 15_000 });
  await page.getByRole('textbox', { name: 'Number or SIP address to call' }).fill('+1 415 555 0134');
  await expect(page.getByRole('textbox', { name: 'Number or SIP address to call' })).toHaveValue('+14155550134');
  await page.screenshot({ path: `${SHOTS}/phone.png` });

  // A call comes in: the ringing bar over the page, with the caller.
  await caller.dial('sip:1091@trunkline.test');
  const ringing = page.getByRole('alertdialog', { name: /^Incoming call from/ });
  await expect(ringing).toBeVisible({ timeout: 15_000 });
  await page.getByRole('textbox', { name: 'Number or SIP address to call' }).fill('');
  await page.screenshot({ path: `${SHOTS}/incoming-call.png` });

  // Answered: connected, the timer running, the keypad open with tones sent, live quality.
  await ringing.getByRole('button', { name: 'Answer' }).click();
  await caller.waitForEvent('CALL_ESTABLISHED');
  const card = page.getByRole('article', { name: /^Call with/ });
  await card.getByRole('button', { name: 'Keypad' }).click();
  const keypad = card.getByRole('group', { name: 'Keypad: send tones' });
  for (const key of ['4', '2']) await keypad.getByRole('button', { name: key, exact: true }).click();
  await expect(card.getByTestId('call-state')).toHaveText(/^Connected \d+:\d\d$/, { timeout: 15_000 });
  await expect(card).toContainText('MOS', { timeout: 10_000 });
  await page.screenshot({ path: `${SHOTS}/in-call.png` });
  await card.getByRole('button', { name: 'Hang up' }).click();
  await caller.waitForEvent('CALL_CLOSED');

  // The history, dark theme, missed calls only.
  await page.getByLabel('Theme').selectOption('dark');
  await card.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('radio', { name: 'Missed' }).click();
  await page.getByRole('radio', { name: 'All' }).click();
  await expect(page.getByRole('list', { name: 'Calls, newest first' }).getByRole('listitem')).toHaveCount(10);
  await page.screenshot({ path: `${SHOTS}/call-history-dark.png` });
  expectNoProblems(app);
});
