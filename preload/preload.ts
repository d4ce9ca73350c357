/**
 * The bridge the renderer sees as `window.trunkline`: one named function per command and one
 * `onX(callback) → unsubscribe` per event, exactly the tables in contract.ts, and nothing else —
 * never `ipcRenderer`, never a generic send, never the IPC event object (its `sender` is
 * `ipcRenderer`).
 *
 * The renderer is sandboxed, so this script may `require` only 'electron': it cannot load
 * contract.ts at run time. The two tables are therefore repeated here as literals, typed as
 * `typeof COMMAND_METHODS` / `typeof EVENT_METHODS` so that the compiler refuses any missing,
 * extra or misspelt entry (the contract is imported for types only); a unit test runs this file
 * with a fake electron and checks the exposed keys and channels against the contract at run time.
 * Bundling the contract in would need a bundler step for one 12-line table.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { COMMAND_METHODS, EVENT_METHODS, TrunklineApi } from './contract';

const commands: typeof COMMAND_METHODS = {
  listLines: 'lines:list',
  addLine: 'lines:add',
  updateLine: 'lines:update',
  removeLine: 'lines:remove',
  setLineEnabled: 'lines:set-enabled',
  lineHistory: 'lines:history',
  lineTrace: 'lines:trace',
  exportLines: 'lines:export',
  importLines: 'lines:import',
  getSettings: 'settings:get',
  updateSettings: 'settings:update',
  openExternal: 'app:open-external',
  dial: 'call:dial',
  answerCall: 'call:answer',
  declineCall: 'call:decline',
  hangUp: 'call:hangup',
  holdCall: 'call:hold',
  resumeCall: 'call:resume',
  muteCall: 'call:mute',
  sendDtmf: 'call:dtmf',
  transferCall: 'call:transfer',
  listCalls: 'call:list',
  callHistory: 'call:history',
  clearCallHistory: 'call:history-clear',
  markCallHistorySeen: 'call:history-seen',
  getPhoneSettings: 'call:settings-get',
  updatePhoneSettings: 'call:settings-update',
  takeDialLink: 'call:take-link',
  openAudioBus: 'media:bus-open',
  attachAudioBus: 'media:bus-attach',
  closeAudioBus: 'media:bus-close',
};

const events: typeof EVENT_METHODS = {
  onLineChanged: 'line:changed',
  onLineAdded: 'line:added',
  onLineRemoved: 'line:removed',
  onLineHistory: 'line:history',
  onSettingsChanged: 'settings:changed',
  onNotice: 'app:notice',
  onCallChanged: 'call:changed',
  onCallEvent: 'call:event',
  onIncomingCall: 'call:incoming',
  onCallHistoryChanged: 'call:history-changed',
  onPhoneSettingsChanged: 'call:settings-changed',
  onDialLink: 'app:dial-link',
  onAudioBusState: 'media:bus-state',
  onAudioBusTrack: 'media:bus-track',
};

const api: Record<string, unknown> = {};
for (const [method, channel] of Object.entries(commands)) {
  api[method] = (...args: unknown[]) => ipcRenderer.invoke(channel, ...args);
}
for (const [method, channel] of Object.entries(events)) {
  api[method] = (callback: (payload: unknown) => void) => {
    if (typeof callback !== 'function') throw new TypeError(`${method}: the callback must be a function`);
    const listener = (_event: IpcRendererEvent, payload: unknown) => callback(payload);
    ipcRenderer.on(channel, listener);
    return () => {
      ipcRenderer.removeListener(channel, listener);
    };
  };
}

contextBridge.exposeInMainWorld('trunkline', Object.freeze(api as TrunklineApi));
