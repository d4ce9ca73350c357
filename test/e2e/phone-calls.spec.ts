// End-to-end: the phone in real Chromium, through the development host, against the real engine
// (CallManager + media host), a real Kamailio and real baresip far ends. What is asserted is what
// the person sees on the page and what the far end saw on the wire (its ctrl_tcp events).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import type { DevHost } from '../../main/devhost/dev-host';
import { startDevHost } from '../../main/devhost/dev-host';
import type { BaresipInstance } from '../harness/baresip';
import { startBaresip } from '../harness/baresip';
import type { KamailioInstance } from '../harness/kamailio';
import { pickLoopbackIp, startKamailio } from '../harness/kamailio';
import { account, DOMAIN, lineConfig, serverOf, USERS } from '../integration/engine-fixture';
import { expectNoProblems, openApp } from './app-page';

// Chromium's fake microphone and speakers, so the page opens the audio bus at the first call as the app does.
test.use({
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

const LINE = 'desk';
const ME = '1061';

async function startHost(): Promise<DevHost> {
  return startDevHost({
    dataDir,
    lines: [lineConfig({ id: LINE, name: 'Desk line', ...account(ME), servers: [serverOf(kamailio)], calls: { rtpPortMin: 42000, rtpPortMax: 42999 }, liveness: { interval: 0 } })],
  });
}

async function farEnd(user: string, answerMode: 'auto' | 'manual'): Promise<BaresipInstance> {
  const phone = await startBaresip({
    name: `e${user}`,
    user,
    password: USERS[user]!,
    registrar: { ip: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' },
    domain: DOMAIN,
    answerMode,
    record: false,
  });
  phones.push(phone);
  await phone.registered();
  return phone;
}

test.beforeAll(async () => {
  kamailio = await startKamailio({ name: 'e2e-phone', users: USERS, domain: DOMAIN, ip: await pickLoopbackIp() });
  dataDir = await mkdtemp(join(tmpdir(), 'tl-e2e-phone-'));
  host = await startHost();
});

test.afterEach(async () => {
  await Promise.all(phones.splice(0).map((p) => p.stop()));
});

test.afterAll(async () => {
  await host?.stop();
  await kamailio?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function openPhone(page: Page) {
  const app = await openApp(page, host);
  await page.keyboard.press('Control+d');
  await expect(page.getByRole('textbox', { name: 'Number or SIP address to call' })).toBeFocused();
  await expect(page.getByRole('combobox', { name: 'Line to call from' })).toContainText('Desk line — registered', { timeout: 15_000 });
  return app;
}

function callCard(page: Page) {
  return page.getByRole('article', { name: /^Call with/ }).first();
}

test('dial from the dial pad → the far end answers → connected with a running timer → hang up → in the history', async ({ page }) => {
  const callee = await farEnd('1062', 'auto');
  const app = await openPhone(page);
  const pad = page.getByRole('group', { name: 'Dial pad' });
  for (const key of '1062') await pad.getByRole('button', { name: key, exact: true }).click();
  await expect(page.getByRole('textbox', { name: 'Number or SIP address to call' })).toHaveValue('1062');
  await page.getByRole('button', { name: 'Call', exact: true }).click();

  const card = callCard(page);
  await expect(card.getByTestId('call-state')).toHaveText(/^Connected \d+:\d\d$/, { timeout: 15_000 });
  await callee.waitForEvent('CALL_ESTABLISHED');
  // The timer runs: it moves past 0:01 by itself.
  await expect(card.getByTestId('call-state')).toHaveText(/^Connected 0:0[1-9]$/, { timeout: 5_000 });
  // The audio bus opened for the call: the microphone meter is there (the fake microphone beeps).
  await expect(card.getByRole('meter', { name: 'Microphone level' })).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'microphone' })).toHaveCount(0);

  await card.getByRole('button', { name: 'Hang up' }).click();
  await callee.waitForEvent('CALL_CLOSED');
  await expect(card.getByTestId('call-state')).toHaveText('Ended — you hung up');
  const history = page.getByRole('list', { name: 'Calls, newest first' });
  await expect(history.getByRole('listitem').first()).toContainText('1062');
  await expect(history.getByRole('listitem').first().getByTestId('outcome')).toHaveText(/^0:0\d$/);
  expectNoProblems(app);
});

test('an incoming call rings with the caller, is answered from the page, and hung up', async ({ page }) => {
  const caller = await farEnd('1063', 'manual');
  const app = await openPhone(page);
  await caller.dial(`sip:${ME}@${DOMAIN}`);
  const ringing = page.getByRole('alertdialog', { name: /^Incoming call from/ });
  await expect(ringing).toBeVisible({ timeout: 15_000 });
  await expect(ringing).toContainText('1063');
  await ringing.getByRole('button', { name: 'Answer' }).click();
  await caller.waitForEvent('CALL_ESTABLISHED');
  const card = callCard(page);
  await expect(card.getByTestId('call-state')).toHaveText(/^Connected/);
  await expect(ringing).toBeHidden();

  // Esc hangs up the call in conversation.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Escape');
  await caller.waitForEvent('CALL_CLOSED');
  await expect(card.getByTestId('call-state')).toHaveText('Ended — you hung up');
  expectNoProblems(app);
});

test('Decline answers 486: the caller sees Busy Here; the call is not counted as missed', async ({ page }) => {
  const caller = await farEnd('1064', 'manual');
  const app = await openPhone(page);
  await caller.dial(`sip:${ME}@${DOMAIN}`);
  const ringing = page.getByRole('alertdialog', { name: /^Incoming call from/ });
  await ringing.getByRole('button', { name: 'Decline' }).click({ timeout: 15_000 });
  const closed = await caller.waitForEvent('CALL_CLOSED');
  expect(closed.sipCode).toBe(486);
  await expect(page.getByRole('list', { name: 'Calls, newest first' }).getByRole('listitem').first().getByTestId('outcome')).toHaveText('Declined');
  expectNoProblems(app);
});

test('a call the caller gives up on is missed: counted on the tab until the history is seen, and survives a restart of the host', async ({ page }) => {
  const caller = await farEnd('1065', 'manual');
  const app = await openApp(page, host);
  // Away from the phone view, so the missed call is counted.
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: /^Trunks/ }).click();
  await caller.dial(`sip:${ME}@${DOMAIN}`);
  await expect(page.getByRole('alertdialog', { name: /^Incoming call from/ })).toBeVisible({ timeout: 15_000 });
  await caller.hangup();
  const phoneTab = page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: /^Phone/ });
  await expect(phoneTab).toContainText('1', { timeout: 10_000 });
  await expect(phoneTab.getByLabel('1 missed')).toBeVisible();
  await phoneTab.click();
  await expect(phoneTab.getByLabel(/missed/)).toBeHidden();
  await page.getByRole('radio', { name: 'Missed' }).click();
  const missed = page.getByRole('list', { name: 'Calls, newest first' }).getByRole('listitem').first();
  await expect(missed).toContainText('1065');
  await expect(missed.getByTestId('outcome')).toHaveText('Missed');
  expectNoProblems(app);

  // The host restarts: the history is read back from its data folder.
  await host.stop();
  host = await startHost();
  await openApp(page, host);
  await page.keyboard.press('Control+d');
  await page.getByRole('searchbox', { name: 'Search the call history' }).fill('1065');
  await expect(page.getByRole('list', { name: 'Calls, newest first' }).getByRole('listitem').first().getByTestId('outcome')).toHaveText('Missed');
});

test('a pasted number is cleaned: "+1 (555) 010-0199" becomes +15550100199', async ({ page }) => {
  const app = await openPhone(page);
  const field = page.getByRole('textbox', { name: 'Number or SIP address to call' });
  // A real paste event with the text on its clipboard data (the page runs in a browser; this file is typed for Node).
  await page.evaluate(`(() => {
    const data = new DataTransfer();
    data.setData('text/plain', '+1 (555) 010-0199');
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  })()`);
  await expect(field).toHaveValue('+15550100199');
  await field.fill('sip:alice@example.org');
  await expect(field).toHaveValue('sip:alice@example.org');
  expectNoProblems(app);
});

test('in a call: DTMF from the keypad and the keyboard reaches the far end; hold and resume', async ({ page }) => {
  const callee = await farEnd('1066', 'auto');
  const app = await openPhone(page);
  await page.getByRole('textbox', { name: 'Number or SIP address to call' }).fill('1066');
  await page.keyboard.press('Enter');
  const card = callCard(page);
  await expect(card.getByTestId('call-state')).toHaveText(/^Connected/, { timeout: 15_000 });
  await callee.waitForEvent('CALL_RTPESTAB', undefined, 10_000).catch(() => undefined);

  await card.getByRole('button', { name: 'Keypad' }).click();
  await card.getByRole('group', { name: 'Keypad: send tones' }).getByRole('button', { name: '5', exact: true }).click();
  await callee.waitForEvent('CALL_DTMF_START', (e) => e.param === '5');
  // Digits typed while in a call (focus outside any field) go out as DTMF too.
  await card.getByTestId('call-state').click();
  await page.keyboard.press('9');
  await callee.waitForEvent('CALL_DTMF_START', (e) => e.param === '9');

  await card.getByRole('button', { name: 'Hold' }).click();
  await expect(card.getByTestId('call-state')).toHaveText(/^On hold/);
  expect(callee.sipMessages(/^INVITE /).some((m) => /a=sendonly/.test(m))).toBe(true);
  await card.getByRole('button', { name: 'Resume' }).click();
  await expect(card.getByTestId('call-state')).toHaveText(/^Connected/);
  await card.getByRole('button', { name: 'Hang up' }).click();
  await callee.waitForEvent('CALL_CLOSED');
  expectNoProblems(app);
});

test('blind transfer: the far end is referred to another number and the call ends here', async ({ page }) => {
  const callee = await farEnd('1067', 'auto');
  const target = await farEnd('1068', 'auto');
  const app = await openPhone(page);
  await page.getByRole('textbox', { name: 'Number or SIP address to call' }).fill('1067');
  await page.keyboard.press('Enter');
  const card = callCard(page);
  await expect(card.getByTestId('call-state')).toHaveText(/^Connected/, { timeout: 15_000 });
  await card.getByRole('button', { name: 'Transfer' }).click();
  await card.getByRole('textbox', { name: 'Transfer to' }).fill('1068');
  await card.getByRole('button', { name: 'Transfer' }).last().click();
  // The far end follows the REFER: the target rings (auto-answers) with a call from 1067.
  await target.waitForEvent('CALL_ESTABLISHED', undefined, 15_000);
  expect(callee.sipMessages(/^REFER /).length).toBeGreaterThan(0);
  await expect(card.getByTestId('call-state')).toHaveText(/^Ended/, { timeout: 15_000 });
  expectNoProblems(app);
});

test('call waiting: a second call rings while in a call; answering it holds the first; Resume swaps back', async ({ page }) => {
  const first = await farEnd('1069', 'manual');
  const second = await farEnd('1070', 'manual');
  const app = await openPhone(page);
  await first.dial(`sip:${ME}@${DOMAIN}`);
  await page.getByRole('alertdialog', { name: /^Incoming call from 1069/ }).getByRole('button', { name: 'Answer' }).click({ timeout: 15_000 });
  await first.waitForEvent('CALL_ESTABLISHED');
  const firstCard = page.getByRole('article', { name: 'Call with 1069' });
  await expect(firstCard.getByTestId('call-state')).toHaveText(/^Connected/);

  await second.dial(`sip:${ME}@${DOMAIN}`);
  const waiting = page.getByRole('alertdialog', { name: /^Incoming call from 1070/ });
  await expect(waiting).toContainText('Call waiting', { timeout: 15_000 });
  await waiting.getByRole('button', { name: 'Hold & answer' }).click();
  await second.waitForEvent('CALL_ESTABLISHED');
  const secondCard = page.getByRole('article', { name: 'Call with 1070' });
  await expect(secondCard.getByTestId('call-state')).toHaveText(/^Connected/);
  await expect(firstCard.getByTestId('call-state')).toHaveText(/^On hold/);

  // Swap: resuming the first holds the second.
  await firstCard.getByRole('button', { name: 'Resume' }).click();
  await expect(firstCard.getByTestId('call-state')).toHaveText(/^Connected/);
  await expect(secondCard.getByTestId('call-state')).toHaveText(/^On hold/);
  await firstCard.getByRole('button', { name: 'Hang up' }).click();
  await secondCard.getByRole('button', { name: 'Hang up' }).click();
  await Promise.all([first.waitForEvent('CALL_CLOSED'), second.waitForEvent('CALL_CLOSED')]);
  expectNoProblems(app);
});

test('a call that fails says why, with the code and reason, and is in the history with them', async ({ page }) => {
  const app = await openPhone(page);
  // Nobody is registered as 1099: the registrar answers 404.
  await page.getByRole('textbox', { name: 'Number or SIP address to call' }).fill('1099');
  await page.keyboard.press('Enter');
  const card = callCard(page);
  await expect(card.getByTestId('call-state')).toHaveText(/^Ended — 404 /, { timeout: 15_000 });
  await expect(page.getByRole('list', { name: 'Calls, newest first' }).getByRole('listitem').first().getByTestId('outcome')).toHaveText(/^404 /);
  expectNoProblems(app);
});
