import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { CallSnapshot } from '../../../common/call-status';
import type { CommandResult, LineView, PhoneSettings, PublicLineConfig, TrunklineApi } from '../../../preload/contract';
import { LineStore } from '../../../renderer/src/state/line-store.svelte';
import type { DeviceSet, PhoneAudio, RingKind } from '../../../renderer/src/state/phone.svelte';
import { ENDED_VISIBLE_MS, PhoneState } from '../../../renderer/src/state/phone.svelte';
import { call, record } from './call-snapshots';
import { snapshot } from './snapshots';

const ok = <T>(value: T): Promise<CommandResult<T>> => Promise.resolve({ ok: true, value });
const settings: PhoneSettings = { linksDialAtOnce: false, raiseOnIncoming: true, inputDevice: 'mic-2', outputDevice: null, ringerDevice: 'bell' };

function view(id: string, state: 'registered' | 'retry-wait', calls = true): LineView {
  return { config: { id, name: id.toUpperCase(), enabled: true, calls: { enabled: calls } } as unknown as PublicLineConfig, snapshot: snapshot({ id, state }) };
}

function setup(options: { dial?: (line: string, to: string) => Promise<CommandResult<CallSnapshot>>; audioOpens?: Promise<boolean> } = {}) {
  const sent: { command: string; args: unknown[] }[] = [];
  let opening: Promise<boolean> | null = null;
  const rings: (RingKind | 'stop')[] = [];
  const prepared: DeviceSet[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  const record_ = (command: string) => (...args: unknown[]) => {
    sent.push({ command, args });
    return ok(null);
  };
  const api = {
    listLines: () => ok([view('zeta', 'registered'), view('alpha', 'retry-wait'), view('beta', 'registered'), view('quiet', 'registered', false)]),
    listCalls: () => ok([]),
    callHistory: () => ok({ entries: [record({ id: 'old', line: 'beta', remote: { uri: 'sip:2000@x', user: '2000', displayName: null } })], missedUnseen: 2 }),
    getPhoneSettings: () => ok(settings),
    takeDialLink: () => ok(null),
    dial: (line: string, to: string) => {
      sent.push({ command: 'dial', args: [line, to] });
      return options.dial ? options.dial(line, to) : ok(call({ id: `out-${to}`, line }));
    },
    answerCall: record_('answer'),
    declineCall: record_('decline'),
    hangUp: record_('hangup'),
    holdCall: record_('hold'),
    resumeCall: record_('resume'),
    muteCall: record_('mute'),
    sendDtmf: record_('dtmf'),
    transferCall: record_('transfer'),
    markCallHistorySeen: record_('seen'),
    clearCallHistory: record_('clear'),
    updatePhoneSettings: (patch: Partial<PhoneSettings>) => ok({ ...settings, ...patch }),
  } as unknown as TrunklineApi;
  const audio: PhoneAudio = {
    prepare: (devices) => {
      prepared.push(devices);
      sent.push({ command: 'audio-prepare', args: [] });
      return (opening ??= options.audioOpens ?? Promise.resolve(true));
    },
    attachWhenOpen: async (id) => {
      if (await opening) sent.push({ command: 'audio-attach', args: [id] });
    },
    level: () => 0.5,
    useDevices: async () => undefined,
    close: () => undefined,
  };
  const lines = new LineStore(api, { schedule: (run) => (run(), () => undefined) });
  const phone = new PhoneState(api, lines, {
    ringer: { play: (kind) => rings.push(kind), stop: () => rings.push('stop') },
    audio,
    report: (message) => sent.push({ command: 'report', args: [message] }),
    schedule: (run, ms) => {
      const timer = { run, ms };
      timers.push(timer);
      return () => timers.splice(timers.indexOf(timer), 1);
    },
  });
  return { phone, lines, sent, rings, prepared, timers };
}

async function loaded(options: Parameters<typeof setup>[0] = {}) {
  const world = setup(options);
  await world.lines.load();
  await world.phone.load();
  flushSync();
  return world;
}

const incoming = (id: string, over: Partial<CallSnapshot> = {}) => call({ id, direction: 'incoming', state: 'ringing', remote: { uri: 'sip:3000@x', user: '3000', displayName: 'Carol' }, ...over });

describe('phone state', () => {
  it('offers the lines that take calls, registered ones first; a line that is not registered can still dial', async () => {
    const { phone } = await loaded();
    expect(phone.lineChoices.map((c) => `${c.id}:${c.state}`)).toEqual(['beta:registered', 'zeta:registered', 'alpha:retry-wait']);
    expect(phone.line).toBe('beta');
    phone.chooseLine('alpha');
    expect(phone.line).toBe('alpha');
  });

  it('the first call does not wait for the audio: the dial request leaves first, the audio opens meanwhile and the call is attached once it is open', async () => {
    let open!: (ok: boolean) => void;
    const { phone, sent } = await loaded({ audioOpens: new Promise<boolean>((resolve) => (open = resolve)) });
    phone.setNumber('1002');
    expect(await phone.dial()).toBe(true);
    expect(sent.map((s) => s.command).filter((c) => c.startsWith('audio') || c === 'dial')).toEqual(['dial', 'audio-prepare']);
    open(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent.filter((s) => s.command === 'audio-attach')).toEqual([{ command: 'audio-attach', args: ['out-1002'] }]);
  });

  it('dials the cleaned number on the chosen line, opening the audio with the remembered devices; the number clears', async () => {
    const { phone, sent, prepared } = await loaded();
    phone.setNumber('+1 (555) 010-0199');
    expect(phone.number).toBe('+15550100199');
    expect(await phone.dial()).toBe(true);
    expect(prepared).toEqual([{ input: 'mic-2', output: null, ringer: 'bell' }]);
    expect(sent.filter((s) => s.command === 'dial')).toEqual([{ command: 'dial', args: ['beta', '+15550100199'] }]);
    expect(phone.number).toBe('');
    expect(phone.calls.get('out-+15550100199')?.state).toBe('dialing');
  });

  it('a refused dial shows why, in words, and keeps the number', async () => {
    const world = setup({ dial: () => Promise.resolve({ ok: false, error: { message: 'to: must be a number or a sip:, sips: or tel: URI (got "#@!")' } }) });
    await world.lines.load();
    world.phone.setNumber('#@!');
    expect(await world.phone.dial()).toBe(false);
    expect(world.phone.error).toBe('The call could not be placed: to: must be a number or a sip:, sips: or tel: URI (got "#@!")');
    expect(world.phone.number).toBe('#@!');
    expect(await world.phone.dial('  ')).toBe(false);
    expect(world.phone.error).toBe('Type a number or a sip: address first.');
  });

  it('redial: the last number dialled here, else the newest outgoing call in the history', async () => {
    const { phone, sent } = await loaded();
    await phone.redial();
    await phone.dial('1234', 'zeta');
    await phone.redial();
    expect(sent.filter((s) => s.command === 'dial').map((s) => s.args)).toEqual([['beta', '2000'], ['zeta', '1234'], ['zeta', '1234']]);
  });

  it('an incoming call rings loud; a second one while in conversation rings softly; answering stops the ringer', async () => {
    const { phone, rings, sent } = await loaded();
    phone.changed(incoming('in-1'));
    expect(rings).toEqual(['loud']);
    expect(phone.ringing.map((c) => c.id)).toEqual(['in-1']);
    await phone.answer('in-1');
    phone.changed(incoming('in-1', { state: 'connected', answeredAt: 5 }));
    expect(rings).toEqual(['loud', 'stop']);
    expect(sent.some((s) => s.command === 'answer' && s.args[0] === 'in-1')).toBe(true);
    phone.changed(incoming('in-2'));
    expect(rings.at(-1)).toBe('soft');
    await phone.escape();
    expect(sent.filter((s) => s.command === 'decline')).toEqual([{ command: 'decline', args: ['in-2', 486] }]);
    phone.changed(incoming('in-2', { state: 'ended', code: 486, endedBy: 'local' }));
    expect(rings.at(-1)).toBe('stop');
  });

  it('a call answered by the line itself (auto-answer) plays one beep', async () => {
    const { phone, rings } = await loaded();
    phone.changed(incoming('in-1'));
    phone.changed(incoming('in-1', { state: 'connected', answeredAt: 5 }));
    expect(rings).toEqual(['loud', 'beep']);
  });

  it('Esc hangs up the call in conversation; digits and controls go to that call', async () => {
    const { phone, sent } = await loaded();
    const live = call({ id: 'c9', state: 'connected', answeredAt: 1 });
    phone.changed(live);
    expect(phone.current?.id).toBe('c9');
    await phone.sendDtmf('c9', '5');
    await phone.toggleHold(live);
    await phone.toggleMute(live);
    await phone.escape();
    expect(sent.map((s) => [s.command, ...s.args])).toEqual([['dtmf', 'c9', '5'], ['hold', 'c9'], ['mute', 'c9', true], ['hangup', 'c9']]);
  });

  it('the microphone meter reads ten times a second only while a call is in conversation', async () => {
    const { phone, timers } = await loaded();
    expect(timers).toHaveLength(0);
    phone.changed(call({ id: 'c1', state: 'connected', answeredAt: 1 }));
    expect(phone.level).toBe(0.5);
    expect(timers.map((t) => t.ms)).toEqual([100]);
    phone.changed(call({ id: 'c1', state: 'ended', answeredAt: 1, endedAt: 9, endedBy: 'remote' }));
    expect(phone.level).toBeNull();
    expect(timers.map((t) => t.ms)).toEqual([ENDED_VISIBLE_MS]);
    timers[0]!.run();
    expect(phone.calls.size).toBe(0);
  });

  it('transfer progress comes from the call events', async () => {
    const { phone, sent } = await loaded();
    phone.changed(call({ id: 'c1', state: 'connected', answeredAt: 1 }));
    await phone.transfer('c1', '+1 (555) 010-0100');
    expect(sent.at(-1)).toEqual({ command: 'transfer', args: ['c1', '+15550100100'] });
    expect(phone.transfers.get('c1')).toBe('Transferring…');
    phone.event({ time: 0, call: 'c1', line: 'desk', event: 'transfer', server: 0, code: 603, reason: 'Declined', progress: 'failed' });
    expect(phone.transfers.get('c1')).toBe('Transfer failed: 603 Declined');
  });

  it('a link fills in the number; it dials only when main says the setting allows it', async () => {
    const { phone, sent } = await loaded();
    phone.dialLink({ target: 'tel:+1-555-010-0199', dial: false });
    expect(phone.number).toBe('tel:+1-555-010-0199');
    expect(sent.some((s) => s.command === 'dial')).toBe(false);
    phone.dialLink({ target: '+15550100199', dial: true });
    await Promise.resolve();
    await Promise.resolve();
    expect(sent.filter((s) => s.command === 'dial').map((s) => s.args)).toEqual([['beta', '+15550100199']]);
  });

  it('history: new calls on top, missed count from main, seen resets it', async () => {
    const { phone, sent } = await loaded();
    expect(phone.missedUnseen).toBe(2);
    phone.historyChanged({ added: record({ id: 'new', missed: true }), cleared: false, missedUnseen: 3 });
    expect(phone.history.map((r) => r.id)).toEqual(['new', 'old']);
    expect(phone.missedUnseen).toBe(3);
    await phone.markSeen();
    expect(phone.missedUnseen).toBe(0);
    expect(sent.at(-1)?.command).toBe('seen');
    phone.historyChanged({ added: null, cleared: true, missedUnseen: 0 });
    expect(phone.history).toEqual([]);
  });
});
