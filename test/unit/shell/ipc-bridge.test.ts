import { describe, expect, it } from 'vitest';
import { COMMAND_METHODS } from '../../../preload/contract';
import type { CommandResult } from '../../../preload/contract';
import type { CommandIpc, EventTargetContents } from '../../../main/shell/ipc-bridge';
import { COMMAND_CHANNELS, createEventSink, registerCommandHandlers } from '../../../main/shell/ipc-bridge';
import type { SenderFacts } from '../../../main/shell/ipc-sender';
import { checkSender } from '../../../main/shell/ipc-sender';
import { DEFAULT_SETTINGS, MemoryLineRepository } from '../../../main/shell/line-repository';
import { LineService } from '../../../main/shell/line-service';
import { SipEngine } from '../../../main/sip/engine';
import { FakeClock } from '../../fake-clock';
import { ScriptedChannel } from '../sip/scripted-channel';

const WINDOW = 7;
const fromApp: SenderFacts = { sender: { id: WINDOW }, senderFrame: { url: 'app://trunkline/index.html', parent: null } };

/** An ipcMain stand-in: handlers by channel, invoked like Electron does. */
function fakeIpc() {
  const handlers = new Map<string, (event: SenderFacts, ...args: unknown[]) => Promise<CommandResult<unknown>>>();
  const ipc: CommandIpc = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
  const invoke = (channel: string, event: SenderFacts, ...args: unknown[]) => {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, ...args);
  };
  return { ipc, handlers, invoke };
}

function setup() {
  const clock = new FakeClock();
  const engine = new SipEngine({ clock, createChannel: () => new ScriptedChannel(clock) });
  const service = new LineService(engine, new MemoryLineRepository(), () => {});
  const { ipc, handlers, invoke } = fakeIpc();
  const dispatched: string[] = [];
  const log: string[] = [];
  const remove = registerCommandHandlers({
    ipc,
    dispatch: (name, args) => {
      dispatched.push(name);
      return service.dispatch(name, args);
    },
    verifySender: (event) => checkSender(event, WINDOW),
    log: (m) => log.push(m),
  });
  return { handlers, invoke, dispatched, log, remove, engine };
}

describe('IPC: every handler checks its sender, then LineService checks the payload', () => {
  it('one handler per command channel of the contract, and no other', () => {
    const { handlers, remove } = setup();
    expect([...handlers.keys()].sort()).toEqual(Object.values(COMMAND_METHODS).sort());
    expect(COMMAND_CHANNELS).toHaveLength(Object.keys(COMMAND_METHODS).length);
    remove();
    expect(handlers.size).toBe(0);
  });

  it('the main frame of our window, showing the app, is served', async () => {
    const { invoke } = setup();
    expect(await invoke('lines:list', fromApp)).toEqual({ ok: true, value: [] });
    expect(await invoke('settings:get', fromApp)).toEqual({ ok: true, value: DEFAULT_SETTINGS });
  });

  it('a bad payload from a trusted sender is refused by name and range, never thrown', async () => {
    const { invoke, engine } = setup();
    const result = await invoke('lines:add', fromApp, { id: 'a', username: '1001', domain: 'example.org', retryDelay: 5, servers: [{ host: 'h' }] });
    expect(result).toEqual({ ok: false, error: { message: 'the line has 1 invalid field', fields: [{ path: 'retryDelay', message: 'must be an integer from 30 to 600 seconds (got 5)' }] } });
    expect(await invoke('lines:remove', fromApp, { $gt: '' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('id:') } });
    expect(await invoke('settings:update', fromApp, 'notifications=false')).toMatchObject({ ok: false });
    expect(engine.lineIds()).toEqual([]);
  });

  it('another window, a subframe, a foreign or navigated-away frame, or a vanished frame is refused before the payload is looked at', async () => {
    const { invoke, dispatched, log } = setup();
    const cases: [SenderFacts, string][] = [
      [{ sender: { id: 99 }, senderFrame: fromApp.senderFrame }, 'not the main window'],
      [{ sender: { id: WINDOW }, senderFrame: { url: 'app://trunkline/index.html', parent: {} } }, 'not the main frame'],
      [{ sender: { id: WINDOW }, senderFrame: { url: 'https://evil.example/', parent: null } }, 'not the app origin'],
      [{ sender: { id: WINDOW }, senderFrame: { url: 'file:///tmp/x.html', parent: null } }, 'not the app origin'],
      [{ sender: { id: WINDOW }, senderFrame: null }, 'the sending frame is gone'],
    ];
    for (const [event, reason] of cases) {
      expect(await invoke('lines:add', event, { id: 'x' })).toEqual({ ok: false, error: { message: `refused: ${reason}` } });
    }
    expect(dispatched).toEqual([]);
    expect(log[0]).toBe('IPC lines:add refused: not the main window');
  });

  it('before the window exists, nobody is trusted', () => {
    expect(checkSender(fromApp, null)).toEqual({ trusted: false, reason: 'not the main window' });
    expect(checkSender(fromApp, WINDOW)).toEqual({ trusted: true });
  });
});

describe('IPC events', () => {
  function contents(url = 'app://trunkline/index.html') {
    const sent: [string, unknown][] = [];
    const target: EventTargetContents & { destroyed: boolean; url: string } = {
      destroyed: false,
      url,
      isDestroyed() {
        return this.destroyed;
      },
      getURL() {
        return this.url;
      },
      send: (channel, payload) => sent.push([channel, payload]),
    };
    return { target, sent };
  }

  it('are sent on their EventMap channel to the window showing the app', () => {
    const { target, sent } = contents();
    const sink = createEventSink(() => target);
    sink('line:removed', { id: 'a' });
    sink('app:notice', { level: 'info', message: 'hello' });
    expect(sent).toEqual([['line:removed', { id: 'a' }], ['app:notice', { level: 'info', message: 'hello' }]]);
  });

  it('are dropped when there is no window, it is destroyed, or it does not show the app', () => {
    const { target, sent } = contents('https://evil.example/');
    createEventSink(() => target)('line:removed', { id: 'a' });
    createEventSink(() => null)('line:removed', { id: 'a' });
    const gone = contents();
    gone.target.destroyed = true;
    createEventSink(() => gone.target)('line:removed', { id: 'a' });
    expect(sent).toEqual([]);
    expect(gone.sent).toEqual([]);
  });
});
