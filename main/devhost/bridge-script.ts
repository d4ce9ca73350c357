/**
 * The page side of the development host's bridge: a classic script served as `/bridge.js` before
 * the app's module, defining `window.trunkline` with exactly the contract's methods (built from
 * COMMAND_METHODS and EVENT_METHODS, so it cannot drift) over a loopback WebSocket.
 *
 * The token comes from the page URL's fragment (`#token=…`, never sent to the server), is kept in
 * sessionStorage so a reload still works, and is removed from the address bar.
 */
import { COMMAND_METHODS, EVENT_METHODS } from '../../preload/contract';

export const BRIDGE_PATH = '/bridge';
export const TOKEN_STORAGE_KEY = 'trunkline-devhost-token';

export function bridgeScript(): string {
  return `// Trunkline development host bridge (never part of the packaged app).
(() => {
  'use strict';
  const COMMANDS = ${JSON.stringify(COMMAND_METHODS)};
  const EVENTS = ${JSON.stringify(EVENT_METHODS)};
  const KEY = ${JSON.stringify(TOKEN_STORAGE_KEY)};
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = sessionStorage.getItem(KEY) || '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(scheme + '//' + location.host + ${JSON.stringify(BRIDGE_PATH)} + '?token=' + encodeURIComponent(token));
  const pending = new Map();
  const queued = [];
  const listeners = new Map(Object.values(EVENTS).map((name) => [name, new Set()]));
  let nextId = 1;
  let closed = false;
  const closedError = { ok: false, error: { message: 'the development host is not connected' } };

  function deliver(event, payload) {
    for (const callback of listeners.get(event) || []) {
      try { callback(payload); } catch (error) { console.error(error); }
    }
  }

  socket.addEventListener('open', () => {
    for (const text of queued.splice(0)) socket.send(text);
  });
  socket.addEventListener('message', (message) => {
    const data = JSON.parse(message.data);
    if (typeof data.id === 'number') {
      const resolve = pending.get(data.id);
      pending.delete(data.id);
      if (resolve) resolve(data.result);
    } else if (typeof data.event === 'string' && listeners.has(data.event)) {
      deliver(data.event, data.payload);
    }
  });
  socket.addEventListener('close', () => {
    if (closed) return;
    closed = true;
    for (const resolve of pending.values()) resolve(closedError);
    pending.clear();
    deliver('app:notice', { level: 'error', message: token
      ? 'Lost the connection to the development host. Restart it and open the address it prints.'
      : 'No access token: open the address the development host prints (it ends in #token=…).' });
  });

  function call(command, args) {
    return new Promise((resolve) => {
      if (closed) return resolve(closedError);
      const id = nextId++;
      pending.set(id, resolve);
      const text = JSON.stringify({ id, command, args });
      if (socket.readyState === WebSocket.OPEN) socket.send(text);
      else queued.push(text);
    });
  }

  const api = {};
  for (const [method, command] of Object.entries(COMMANDS)) api[method] = (...args) => call(command, args);
  for (const [method, event] of Object.entries(EVENTS)) {
    api[method] = (callback) => {
      const set = listeners.get(event);
      set.add(callback);
      return () => { set.delete(callback); };
    };
  }
  Object.defineProperty(window, 'trunkline', { value: Object.freeze(api), enumerable: true });
})();
`;
}
