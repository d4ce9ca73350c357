import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { COMMAND_METHODS, EVENT_METHODS } from '../../../preload/contract';
import { bridgeScript } from '../../../main/devhost/bridge-script';

type Listener = (event: { data?: string }) => void;

/** Just enough of a page for the script: location, sessionStorage, history, a WebSocket to drive. */
function page(hash: string) {
  const sockets: FakeSocket[] = [];
  class FakeSocket {
    static OPEN = 1;
    readyState = 0;
    sent: string[] = [];
    listeners = new Map<string, Listener[]>();
    constructor(readonly url: string) {
      sockets.push(this);
    }
    addEventListener(type: string, listener: Listener) {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
    }
    send(text: string) {
      this.sent.push(text);
    }
    emit(type: string, event: { data?: string } = {}) {
      if (type === 'open') this.readyState = 1;
      for (const l of this.listeners.get(type) ?? []) l(event);
    }
  }
  const storage = new Map<string, string>();
  const window: Record<string, unknown> = {};
  const context = {
    window,
    location: { hash, protocol: 'http:', host: '127.0.0.1:4000', pathname: '/', search: '' },
    sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) },
    history: { replaceState: (_s: unknown, _t: string, url: string) => void (context.location.hash = url.includes('#') ? url : '') },
    WebSocket: FakeSocket,
    console,
    URLSearchParams,
    encodeURIComponent,
    JSON,
    Object,
    Map,
    Set,
    Promise,
  };
  runInNewContext(bridgeScript(), context);
  return { api: window.trunkline as Record<string, (...args: unknown[]) => unknown>, socket: sockets[0]!, context, storage };
}

describe('development host bridge script', () => {
  it('defines window.trunkline with exactly the contract’s methods, frozen', () => {
    const { api } = page('#token=abc');
    expect(Object.keys(api).sort()).toEqual([...Object.keys(COMMAND_METHODS), ...Object.keys(EVENT_METHODS)].sort());
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('takes the token from the fragment, keeps it for reloads, and takes it out of the address bar', () => {
    const { socket, context, storage } = page('#token=s3cret');
    expect(socket.url).toBe('ws://127.0.0.1:4000/bridge?token=s3cret');
    expect(storage.get('trunkline-devhost-token')).toBe('s3cret');
    expect(context.location.hash).toBe('');
  });

  it('sends commands as { id, command, args } once open and resolves each with its answer', async () => {
    const { api, socket } = page('#token=t');
    const answer = api.updateLine!('a', { retryDelay: 60 }) as Promise<unknown>;
    expect(socket.sent).toEqual([]);
    socket.emit('open');
    expect(JSON.parse(socket.sent[0]!)).toEqual({ id: 1, command: 'lines:update', args: ['a', { retryDelay: 60 }] });
    socket.emit('message', { data: JSON.stringify({ id: 1, result: { ok: true, value: 'v' } }) });
    await expect(answer).resolves.toEqual({ ok: true, value: 'v' });
  });

  it('delivers events to subscribers until they unsubscribe', () => {
    const { api, socket } = page('#token=t');
    const seen: unknown[] = [];
    const off = api.onLineRemoved!((p: unknown) => seen.push(p)) as () => void;
    socket.emit('message', { data: JSON.stringify({ event: 'line:removed', payload: { id: 'a' } }) });
    off();
    socket.emit('message', { data: JSON.stringify({ event: 'line:removed', payload: { id: 'b' } }) });
    expect(seen).toEqual([{ id: 'a' }]);
  });

  it('when the host goes away, pending commands answer an error and the page is told', async () => {
    const { api, socket } = page('#token=t');
    const notices: unknown[] = [];
    api.onNotice!((n: unknown) => notices.push(n));
    socket.emit('open');
    const pending = api.listLines!() as Promise<unknown>;
    socket.emit('close');
    await expect(pending).resolves.toMatchObject({ ok: false });
    await expect(api.listLines!()).resolves.toMatchObject({ ok: false });
    expect(notices).toEqual([{ level: 'error', message: expect.stringContaining('Lost the connection') }]);
  });
});
