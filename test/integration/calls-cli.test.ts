/**
 * The headless test call (`npm run call`, main/monitor/call-cli.ts) as support staff run it, against
 * a real baresip through a harness Kamailio: dial with a tone or a WAV, record, DTMF, --json events,
 * answer mode, failures (exit 1 with the SIP code), bad arguments (exit 2 naming the option or
 * field), and SIGINT mid-call (BYE, unregister, exit).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { analyseWav, makeToneWav } from '../harness/audio';
import type { KamailioInstance } from '../harness/kamailio';
import { DOMAIN, eventually, expectTone, farEnd, lastRecording, stopPhones, USERS } from './calls-fixture';
import { startPair } from './engine-fixture';

let primary: KamailioInstance;
let backup: KamailioInstance;
let dir: string;

beforeAll(async () => {
  ({ primary, backup } = await startPair('calls-cli'));
  dir = await mkdtemp(join(tmpdir(), 'tl-call-cli-'));
});

afterEach(async () => {
  await stopPhones();
});

afterAll(async () => {
  await Promise.all([primary?.stop(), backup?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A monitor config with one line `carrier-a` for `user` on the primary (UDP) and the backup. */
async function writeConfig(name: string, user: string, extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({
    lines: [{
      id: 'carrier-a', username: user, password: USERS[user], domain: DOMAIN,
      servers: [{ host: primary.ip, port: primary.ports.udp, transport: 'udp' }, { host: backup.ip, port: backup.ports.udp, transport: 'udp' }],
      ...extra,
    }],
  }, null, 2));
  return path;
}

/** Runs the test call as `npm run call -- …` does (node + tsx on call-cli.ts), without npm in between. */
function testCall(args: string[]) {
  const child = spawn(join('node_modules', '.bin', 'tsx'), ['main/monitor/call-cli.ts', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const events = (): Record<string, unknown>[] =>
    stdout.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, exited, out: () => stdout, err: () => stderr, events };
}

type Run = ReturnType<typeof testCall>;

async function exitCode(run: Run, timeoutMs: number): Promise<number | null> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  try {
    return await run.exited;
  } finally {
    clearTimeout(timer);
  }
}

describe('npm run call: dialling', () => {
  it('--to with --tone, --record, --dtmf, --duration, --json: answered, DTMF at the far end, audio both ways, exit 0, unregistered', async () => {
    const phone = await farEnd('1002', primary, { tone: { frequencyHz: 440 } });
    const config = await writeConfig('dial.json', '1001');
    const record = join(dir, 'dial.wav');
    const run = testCall(['--config', config, '--line', 'carrier-a', '--to', '1002', '--tone', '1000', '--record', record, '--dtmf', '159#', '--duration', '3', '--json']);
    const code = await exitCode(run, 60_000);
    expect(code, run.err() + run.out()).toBe(0);

    const events = run.events();
    for (const e of events) for (const key of ['time', 'call', 'line', 'event', 'server', 'code', 'reason']) expect(e, JSON.stringify(e)).toHaveProperty(key);
    const kinds = events.map((e) => e.event);
    expect(kinds[0]).toBe('dialing');
    expect(kinds).toContain('answered');
    expect(kinds.at(-1)).toBe('ended');
    expect(kinds.indexOf('answered')).toBeLessThan(kinds.indexOf('ended'));
    const answered = events.find((e) => e.event === 'answered')!;
    expect(answered).toMatchObject({ line: 'carrier-a', server: 0 });
    expect(answered.setupMs).toEqual(expect.any(Number));
    const endedEvent = events.at(-1)!;
    expect(endedEvent.by).toBe('local');
    expect(endedEvent.durationMs as number).toBeGreaterThanOrEqual(2_500);
    const rtp = endedEvent.rtp as Record<string, number>;
    for (const key of ['sent', 'received', 'lost', 'jitterMs', 'rms']) expect(rtp, JSON.stringify(rtp)).toHaveProperty(key);
    expect(rtp.sent).toBeGreaterThan(100);
    expect(rtp.received).toBeGreaterThan(100);
    // Times are epoch ms, in order.
    const times = events.map((e) => e.time as number);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // The far end got the digits, our tone and the BYE; we recorded its tone as 8 kHz mono.
    expect(phone.events('CALL_DTMF_START').map((e) => e.param)).toEqual(['1', '5', '9', '#']);
    await phone.waitForEvent('CALL_CLOSED');
    await expectTone((await lastRecording(phone)).received, 1000);
    const ours = await analyseWav(record);
    expect({ rate: ours.sampleRate, channels: ours.channels }).toEqual({ rate: 8000, channels: 1 });
    await expectTone(record, 440);
    // Unregistered on the way out.
    expect(await primary.bindings('1001')).toHaveLength(0);
  });

  it('--play a 48 kHz stereo WAV, human summary: the far end hears the file; the summary names the server and MOS', async () => {
    const phone = await farEnd('1004', primary, { tone: { frequencyHz: 440 } });
    const wav = join(dir, 'play-700.wav');
    await makeToneWav(wav, { frequencyHz: 700, seconds: 5, sampleRate: 48_000, channels: 2, amplitude: 0.4 });
    const config = await writeConfig('play.json', '1003');
    const run = testCall(['--config', config, '--line', 'carrier-a', '--to', `sip:1004@${DOMAIN}`, '--play', wav, '--duration', '2']);
    expect(await exitCode(run, 60_000), run.err() + run.out()).toBe(0);
    expect(run.out()).toMatch(/MOS/i);
    expect(run.out()).toMatch(/server|primary|127\./i);
    await phone.waitForEvent('CALL_CLOSED');
    await expectTone((await lastRecording(phone)).received, 700);
  });

  it('an unknown callee: exit 1 printing 404', async () => {
    const config = await writeConfig('unknown.json', '1005');
    const run = testCall(['--config', config, '--line', 'carrier-a', '--to', '1099', '--duration', '2', '--json']);
    expect(await exitCode(run, 60_000), run.err() + run.out()).toBe(1);
    const endedEvent = run.events().find((e) => e.event === 'ended');
    expect(endedEvent?.code).toBe(404);
    expect(await primary.bindings('1005')).toHaveLength(0);
  });

  it('SIGINT during the call: BYE to the far end, unregister, exit', async () => {
    const phone = await farEnd('1008', primary, { record: false });
    const config = await writeConfig('sigint.json', '1007');
    const run = testCall(['--config', config, '--line', 'carrier-a', '--to', '1008', '--duration', '60', '--json']);
    try {
      await phone.waitForEvent('CALL_ESTABLISHED', () => true, 60_000);
      await eventually(() => run.events().some((e) => e.event === 'answered'), 5_000, 'answered event');
      run.child.kill('SIGINT');
      const code = await exitCode(run, 20_000);
      expect(code, run.err()).not.toBeNull();
      await eventually(() => phone.sipMessages(/^BYE /).length > 0, 3_000, 'BYE in the phone\'s log');
      expect(phone.sipMessages(/^BYE /)).toHaveLength(1);
      expect(run.events().at(-1)).toMatchObject({ event: 'ended', by: 'local' });
      expect(await primary.bindings('1007')).toHaveLength(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});

describe('npm run call: answering', () => {
  it('--answer: waits for the call, answers with --tone, records the caller, exits 0 when the caller hangs up', async () => {
    const config = await writeConfig('answer.json', '1011');
    const record = join(dir, 'answer.wav');
    const run = testCall(['--config', config, '--line', 'carrier-a', '--answer', '--tone', '1200', '--record', record, '--json']);
    try {
      await eventually(async () => (await primary.bindings('1011')).length === 1, 60_000, 'the test call registered');
      const caller = await farEnd('1012', primary, { tone: { frequencyHz: 600 } });
      await caller.dial(`sip:1011@${DOMAIN}`);
      await caller.waitForEvent('CALL_ESTABLISHED');
      await delay(2_000);
      await caller.hangup();
      expect(await exitCode(run, 30_000), run.err() + run.out()).toBe(0);
      const kinds = run.events().map((e) => e.event);
      expect(kinds).toContain('answered');
      expect(run.events().at(-1)).toMatchObject({ event: 'ended', by: 'remote' });
      await expectTone(record, 600);
      await caller.waitForEvent('CALL_CLOSED');
      await expectTone((await lastRecording(caller)).received, 1200);
      expect(await primary.bindings('1011')).toHaveLength(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});

describe('npm run call: bad arguments and config exit 2 naming what is wrong', () => {
  const CASES = [
    { name: 'neither --to nor --answer', args: (c: string) => ['--config', c, '--line', 'carrier-a'], says: /--to|--answer/ },
    { name: 'an unknown line', args: (c: string) => ['--config', c, '--line', 'nope', '--to', '1002'], says: /--line|nope/ },
    { name: 'both --tone and --play', args: (c: string) => ['--config', c, '--line', 'carrier-a', '--to', '1002', '--tone', '1000', '--play', '/x.wav'], says: /--tone|--play/ },
    { name: 'a bad --duration', args: (c: string) => ['--config', c, '--line', 'carrier-a', '--to', '1002', '--duration', 'soon'], says: /--duration/ },
    { name: 'bad --dtmf digits', args: (c: string) => ['--config', c, '--line', 'carrier-a', '--to', '1002', '--dtmf', '12x'], says: /--dtmf/ },
    // Found before anything registers: no binding left behind by a call that could never play.
    { name: '--play a file that is not a WAV', args: (c: string) => ['--config', c, '--line', 'carrier-a', '--to', '1002', '--play', c], says: /--play: .*not a RIFF\/WAVE file/ },
  ];

  it(`${CASES.map((c) => c.name).join('; ')}; a config field out of range (all run at once)`, async () => {
    const config = await writeConfig('args.json', '1021');
    const badField = await writeConfig('bad-field.json', '1022', { calls: { rtpTimeout: 2 } });
    const runs = [
      ...CASES.map((c) => ({ name: c.name, says: c.says, run: testCall(c.args(config)) })),
      { name: 'calls.rtpTimeout 2', says: /calls\.rtpTimeout/, run: testCall(['--config', badField, '--line', 'carrier-a', '--to', '1002']) },
    ];
    const codes = await Promise.all(runs.map((r) => exitCode(r.run, 60_000)));
    runs.forEach((r, i) => {
      expect(codes[i], `${r.name}: ${r.run.out()}`).toBe(2);
      expect(r.run.err() + r.run.out(), r.name).toMatch(r.says);
    });
    // A config error never echoes the password.
    expect(runs.at(-1)!.run.err() + runs.at(-1)!.run.out()).not.toContain(USERS['1022']);
  });
});
