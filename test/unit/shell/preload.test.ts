/**
 * Runs preload/preload.ts as Electron's sandboxed renderer does: compiled to CommonJS, wrapped in
 * a function receiving (require, process, Buffer, global, setImmediate, clearImmediate, exports,
 * module), with a `require` that knows only 'electron' — here a fake recording what is exposed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { COMMAND_METHODS, EVENT_METHODS } from '../../../preload/contract';

type Listener = (event: unknown, payload: unknown) => void;

function runPreload() {
  const source = readFileSync(join(__dirname, '..', '..', '..', 'preload', 'preload.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  const required: string[] = [];
  const exposed: [string, Record<string, unknown>][] = [];
  const invoked: [string, unknown[]][] = [];
  const listeners = new Map<string, Set<Listener>>();
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.push([key, api]) },
    ipcRenderer: {
      invoke: (channel: string, ...args: unknown[]) => {
        invoked.push([channel, args]);
        return Promise.resolve({ ok: true, value: channel });
      },
      on: (channel: string, listener: Listener) => listeners.set(channel, (listeners.get(channel) ?? new Set()).add(listener)),
      removeListener: (channel: string, listener: Listener) => listeners.get(channel)?.delete(listener),
      send: () => {
        throw new Error('the preload must not use send');
      },
    },
  };
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name !== 'electron') throw new Error(`module not found: ${name} (a sandboxed preload can only require electron)`);
    return electron;
  };
  const exports = {};
  const wrapper = new Function('require', 'process', 'Buffer', 'global', 'setImmediate', 'clearImmediate', 'exports', 'module', outputText);
  wrapper(sandboxRequire, {}, undefined, {}, setImmediate, clearImmediate, exports, { exports });
  const emit = (channel: string, payload: unknown) => listeners.get(channel)?.forEach((l) => l({ sender: electron.ipcRenderer, senderId: 0 }, payload));
  return { required, exposed, invoked, listeners, emit };
}

describe('preload: window.trunkline is exactly the contract', () => {
  it('requires nothing but electron, and exposes one object, as "trunkline"', () => {
    const { required, exposed } = runPreload();
    expect(required).toEqual(['electron']);
    expect(exposed.map(([key]) => key)).toEqual(['trunkline']);
  });

  it('one function per command and one onX per event, and nothing else', () => {
    const api = runPreload().exposed[0]![1];
    expect(Object.keys(api).sort()).toEqual([...Object.keys(COMMAND_METHODS), ...Object.keys(EVENT_METHODS)].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    expect(api).not.toHaveProperty('ipcRenderer');
    expect(api).not.toHaveProperty('send');
    expect(api).not.toHaveProperty('invoke');
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('each command invokes its own channel with its arguments and answers the main side\'s result', async () => {
    const { exposed, invoked } = runPreload();
    const api = exposed[0]![1] as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const [method, channel] of Object.entries(COMMAND_METHODS)) {
      expect(await api[method]!('x', 2)).toEqual({ ok: true, value: channel });
    }
    expect(invoked).toEqual(Object.values(COMMAND_METHODS).map((channel) => [channel, ['x', 2]]));
  });

  it('each onX delivers only the payload (never the IPC event and its sender) until unsubscribed', () => {
    const { exposed, emit, listeners } = runPreload();
    const api = exposed[0]![1] as Record<string, (callback: unknown) => () => void>;
    for (const [method, channel] of Object.entries(EVENT_METHODS)) {
      const received: unknown[][] = [];
      const unsubscribe = api[method]!((...args: unknown[]) => received.push(args));
      emit(channel, { id: 'a' });
      unsubscribe();
      emit(channel, { id: 'b' });
      expect(received, method).toEqual([[{ id: 'a' }]]);
      expect(listeners.get(channel)?.size).toBe(0);
    }
  });

  it('a subscription without a callback is refused', () => {
    const api = runPreload().exposed[0]![1] as Record<string, (callback: unknown) => () => void>;
    expect(() => api.onLineChanged!('not a function')).toThrow(TypeError);
  });
});
