import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CallEvent, CallSnapshot } from '../../../common/call-status';
import type { DialLink, EventMap, EventName } from '../../../preload/contract';
import { CallHistoryRepository, HISTORY_LIMIT, JsonFileCallDocumentStore, MemoryCallDocumentStore } from '../../../main/shell/call-history';
import type { CallControl } from '../../../main/shell/call-service';
import { CallService } from '../../../main/shell/call-service';

function call(over: Partial<CallSnapshot> = {}): CallSnapshot {
  return {
    id: 'c1', line: 'desk', direction: 'outgoing', remote: { uri: 'sip:1002@example.org', user: '1002', displayName: null },
    state: 'dialing', server: 0, serverLabel: null, failovers: 0, startedAt: 1_000, answeredAt: null, endedAt: null,
    code: null, reason: null, endedBy: null, localHold: false, remoteHold: false, muted: false, setupMs: null, stats: null,
    ...over,
  };
}

/** A CallManager stand-in that records what the service asked of it and lets the test push snapshots. */
function setup(options: { pageReady?: boolean; store?: MemoryCallDocumentStore } = {}) {
  const asked: unknown[][] = [];
  let live: CallSnapshot[] = [];
  const listeners = { call: [] as ((c: CallSnapshot) => void)[], event: [] as ((e: CallEvent) => void)[], incoming: [] as ((c: CallSnapshot) => void)[] };
  const control: CallControl = {
    dial: async (line, to) => {
      asked.push(['dial', line, to]);
      return call({ id: 'new', line });
    },
    answer: async (id) => asked.push(['answer', id]),
    decline: (id, code) => asked.push(['decline', id, code]),
    hangup: (id) => asked.push(['hangup', id]),
    hold: async (id) => asked.push(['hold', id]),
    resume: async (id) => asked.push(['resume', id]),
    setMuted: (id, muted) => asked.push(['mute', id, muted]),
    sendDtmf: (id, digits) => asked.push(['dtmf', id, digits]),
    transfer: (id, to) => asked.push(['transfer', id, to]),
    calls: () => live,
  };
  const events: { event: EventName; payload: unknown }[] = [];
  const missed: number[] = [];
  const history = new CallHistoryRepository(options.store ?? new MemoryCallDocumentStore());
  const service = new CallService({
    calls: control,
    feed: {
      onCall: (l) => (listeners.call.push(l), () => undefined),
      onEvent: (l) => (listeners.event.push(l), () => undefined),
      onIncoming: (l) => (listeners.incoming.push(l), () => undefined),
    },
    history,
    emit: <E extends EventName>(event: E, payload: EventMap[E]) => void events.push({ event, payload }),
    lineIds: () => ['desk'],
    onMissedChanged: (n) => missed.push(n),
    pageReady: () => options.pageReady ?? true,
  });
  const push = (snapshot: CallSnapshot) => {
    live = [...live.filter((c) => c.id !== snapshot.id), snapshot].filter((c) => c.state !== 'ended');
    listeners.call.forEach((l) => l(snapshot));
  };
  return { service, asked, events, missed, history, push, setLive: (calls: CallSnapshot[]) => (live = calls) };
}

describe('call service (the main side of the phone)', () => {
  it('refuses bad payloads with an error naming the field, and never reaches the engine', async () => {
    const { service, asked } = setup();
    expect(await service.dispatch('call:dial', ['nope', '1002'])).toEqual({ ok: false, error: { message: 'line: no line "nope"', fields: [{ path: 'line', message: 'must be one of the lines' }] } });
    expect(await service.dispatch('call:dial', ['desk', ''])).toMatchObject({ ok: false, error: { message: 'to: must be a number or a sip:, sips: or tel: URI of 1 to 256 characters', fields: [{ path: 'to' }] } });
    expect(await service.dispatch('call:dial', ['desk', '1002\r\nX-Evil: 1'])).toMatchObject({ ok: false, error: { message: 'to: must not hold control characters' } });
    expect(await service.dispatch('call:hangup', [{ id: 1 }])).toMatchObject({ ok: false, error: { message: /^callId: must be a call id/ } });
    expect(await service.dispatch('call:hangup', ['c404'])).toEqual({ ok: false, error: { message: 'callId: no call "c404" in progress' } });
    expect(await service.dispatch('call:dial', 'desk')).toEqual({ ok: false, error: { message: 'arguments must be a list' } });
    expect(await service.dispatch('call:nope', [])).toEqual({ ok: false, error: { message: 'unknown command "call:nope"' } });
    expect(asked).toEqual([]);
  });

  it('checks what each control needs: a ringing call to answer, a connected one for DTMF, valid digits and codes', async () => {
    const { service, asked, setLive } = setup();
    setLive([call({ id: 'out', state: 'ringing' }), call({ id: 'in', direction: 'incoming', state: 'ringing' })]);
    expect(await service.dispatch('call:answer', ['out'])).toEqual({ ok: false, error: { message: 'callId: call "out" is not ringing here' } });
    expect(await service.dispatch('call:dtmf', ['out', '5'])).toEqual({ ok: false, error: { message: 'callId: call "out" is not connected (it is ringing)' } });
    expect(await service.dispatch('call:decline', ['in', 480])).toEqual({ ok: false, error: { message: 'code: must be 486 (Busy Here) or 603 (Decline)' } });
    expect(await service.dispatch('call:decline', ['in'])).toEqual({ ok: true, value: null });
    expect(await service.dispatch('call:decline', ['in', 603])).toEqual({ ok: true, value: null });
    setLive([call({ id: 'c', state: 'connected', answeredAt: 1 })]);
    expect(await service.dispatch('call:dtmf', ['c', '12x'])).toEqual({ ok: false, error: { message: 'digits: must be 1 to 32 of 0-9, *, #, A-D (RFC 4733)' } });
    expect(await service.dispatch('call:mute', ['c', 'yes'])).toEqual({ ok: false, error: { message: 'muted: must be true or false' } });
    expect(await service.dispatch('call:dtmf', ['c', '12#'])).toEqual({ ok: true, value: null });
    expect(await service.dispatch('call:transfer', ['c', ' 1003 '])).toEqual({ ok: true, value: null });
    expect(asked).toEqual([['decline', 'in', 486], ['decline', 'in', 603], ['dtmf', 'c', '12#'], ['transfer', 'c', '1003']]);
  });

  it('call waiting: answering or resuming a call holds the one in conversation first', async () => {
    const { service, asked, setLive } = setup();
    setLive([call({ id: 'first', state: 'connected', answeredAt: 1 }), call({ id: 'second', direction: 'incoming', state: 'ringing' })]);
    await service.dispatch('call:answer', ['second']);
    expect(asked).toEqual([['hold', 'first'], ['answer', 'second']]);
    setLive([call({ id: 'first', state: 'held', localHold: true, answeredAt: 1 }), call({ id: 'second', direction: 'incoming', state: 'connected', answeredAt: 2 })]);
    await service.dispatch('call:resume', ['first']);
    expect(asked.slice(2)).toEqual([['hold', 'second'], ['resume', 'first']]);
  });

  it('an ended call enters the history once; a missed one counts until seen, for the tab and the tray', async () => {
    const { service, events, missed, push } = setup();
    push(call({ id: 'in', direction: 'incoming', state: 'ringing' }));
    push(call({ id: 'in', direction: 'incoming', state: 'ended', endedAt: 5_000, code: 487, reason: 'Request Terminated', endedBy: 'remote' }));
    push(call({ id: 'in', direction: 'incoming', state: 'ended', endedAt: 5_000, code: 487, reason: 'Request Terminated', endedBy: 'remote' }));
    push(call({ id: 'out', state: 'ended', answeredAt: 2_000, endedAt: 9_500, code: 200, endedBy: 'local' }));
    const view = await service.dispatch('call:history', []);
    expect(view).toMatchObject({ ok: true, value: { missedUnseen: 1, entries: [{ id: 'out', durationMs: 7_500, missed: false }, { id: 'in', missed: true, durationMs: 0 }] } });
    expect(missed).toEqual([1, 1]);
    expect(events.filter((e) => e.event === 'call:history-changed').map((e) => (e.payload as { missedUnseen: number }).missedUnseen)).toEqual([1, 1]);
    await service.dispatch('call:history-seen', []);
    expect(missed.at(-1)).toBe(0);
    await service.dispatch('call:history-clear', []);
    expect(await service.dispatch('call:history', [])).toEqual({ ok: true, value: { entries: [], missedUnseen: 0 } });
  });

  it('a call declined here is not missed', async () => {
    const { push, history } = setup();
    push(call({ id: 'in', direction: 'incoming', state: 'ended', endedAt: 1, code: 486, endedBy: 'local' }));
    expect(history.entries()[0]!.missed).toBe(false);
    expect(history.missedUnseen).toBe(0);
  });

  it('keeps at most 1,000 calls, newest first', () => {
    const history = new CallHistoryRepository(new MemoryCallDocumentStore());
    for (let i = 0; i < HISTORY_LIMIT + 5; i++) history.add({ ...call({ id: `c${i}` }), endedAt: i, durationMs: 0, missed: false } as never);
    const entries = history.entries();
    expect(entries).toHaveLength(HISTORY_LIMIT);
    expect(entries[0]!.id).toBe(`c${HISTORY_LIMIT + 4}`);
    expect(entries.at(-1)!.id).toBe('c5');
  });

  it('phone settings: validated per key, remembered, pushed', async () => {
    const store = new MemoryCallDocumentStore();
    const { service, events } = setup({ store });
    expect(await service.dispatch('call:settings-get', [])).toEqual({ ok: true, value: { linksDialAtOnce: false, raiseOnIncoming: true, inputDevice: null, outputDevice: null, ringerDevice: null } });
    expect(await service.dispatch('call:settings-update', [{ linksDialAtOnce: 'yes' }])).toEqual({ ok: false, error: { message: 'linksDialAtOnce: must be true or false' } });
    expect(await service.dispatch('call:settings-update', [{ volume: 3 }])).toMatchObject({ ok: false, error: { message: /^volume: is not a known phone setting/ } });
    expect(await service.dispatch('call:settings-update', [{ inputDevice: '' }])).toMatchObject({ ok: false, error: { message: /^inputDevice: must be a device id/ } });
    expect(await service.dispatch('call:settings-update', [{ ringerDevice: 'abc123', linksDialAtOnce: true }])).toMatchObject({ ok: true, value: { ringerDevice: 'abc123', linksDialAtOnce: true } });
    expect(events.at(-1)).toMatchObject({ event: 'call:settings-changed', payload: { ringerDevice: 'abc123' } });
    expect(new CallHistoryRepository(store).settings()).toMatchObject({ ringerDevice: 'abc123', linksDialAtOnce: true });
  });
});

describe('links that open the dialer', () => {
  it('fill in the number and never ask to dial unless "links dial at once" is on', async () => {
    const { service, events, asked } = setup();
    expect(service.openLink('tel:+1-555-010-0199')).toEqual({ target: '+15550100199', dial: false });
    expect(events.at(-1)).toEqual({ event: 'app:dial-link', payload: { target: '+15550100199', dial: false } });
    await service.dispatch('call:settings-update', [{ linksDialAtOnce: true }]);
    expect(service.openLink('sip:alice@example.org;transport=tcp?X-Evil=1')).toEqual({ target: 'sip:alice@example.org', dial: true });
    expect(service.openLink('https://example.org')).toBeNull();
    // Main itself never dials from a link: the page does, when told it may.
    expect(asked).toEqual([]);
  });

  it('a link that arrives before the page listens waits for it, once', async () => {
    const { service, events } = setup({ pageReady: false });
    service.openLink('callto://+15550100199');
    expect(events.some((e) => e.event === 'app:dial-link')).toBe(false);
    expect(await service.dispatch('call:take-link', [])).toEqual({ ok: true, value: { target: '+15550100199', dial: false } satisfies DialLink });
    expect(await service.dispatch('call:take-link', [])).toEqual({ ok: true, value: null });
  });
});

describe('call history file (development host)', () => {
  it('survives a reopen; a corrupt file is moved aside and the history starts empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-history-'));
    try {
      const path = join(dir, 'calls.json');
      const first = new CallHistoryRepository(new JsonFileCallDocumentStore(path));
      first.add({ ...call({ id: 'kept' }), endedAt: 1, durationMs: 0, missed: true } as never);
      const again = new CallHistoryRepository(new JsonFileCallDocumentStore(path));
      expect(again.entries().map((r) => r.id)).toEqual(['kept']);
      expect(again.missedUnseen).toBe(1);

      await writeFile(path, '{ not json');
      const notices: string[] = [];
      const fresh = new CallHistoryRepository(new JsonFileCallDocumentStore(path, (m) => notices.push(m)));
      expect(fresh.entries()).toEqual([]);
      expect(notices[0]).toMatch(/could not be read .* it was kept as .*calls\.corrupt-\d+\.json/);
      expect((await readdir(dir)).some((f) => /^calls\.corrupt-\d+\.json$/.test(f))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
