/**
 * Which permissions the UI gets (Electron security checklist 5): the microphone, audio only,
 * choosing the audio output (speaker and ringer devices), and writing plain text to the clipboard (the detail pane's Copy), for the app's own origin in its
 * main frame — a softphone needs nothing else. Reading the clipboard is never allowed. Every other request and
 * check is refused, as are device (HID/serial/USB) requests; screen capture is refused because no display-media
 * handler is ever installed.
 */
import { isAppUrl } from './app-origin';

/** Sanitized clipboard writes: text only, never a read. */
const CLIPBOARD_WRITE = 'clipboard-sanitized-write';
/** Choosing the speaker and the ringer (`HTMLMediaElement.setSinkId`, `AudioContext.setSinkId`). */
const SPEAKER_SELECTION = 'speaker-selection';

export interface PermissionRequestFacts {
  permission: string;
  /** URL of the requesting frame. */
  requestingUrl: string | undefined;
  isMainFrame: boolean;
  /** For `media`: what is asked for. */
  mediaTypes?: readonly string[];
}

/** `session.setPermissionRequestHandler`: only a microphone request from the app itself. */
export function allowPermissionRequest(facts: PermissionRequestFacts): boolean {
  if (!facts.isMainFrame || !isAppUrl(facts.requestingUrl)) return false;
  if (facts.permission === CLIPBOARD_WRITE || facts.permission === SPEAKER_SELECTION) return true;
  if (facts.permission !== 'media') return false;
  const types = facts.mediaTypes ?? [];
  return types.length > 0 && types.every((type) => type === 'audio');
}

export interface PermissionCheckFacts {
  permission: string;
  requestingOrigin: string;
  isMainFrame: boolean;
  mediaType?: string;
}

/** `session.setPermissionCheckHandler`: the synchronous "is it granted?" twin of the request. */
export function allowPermissionCheck(facts: PermissionCheckFacts): boolean {
  if (!facts.isMainFrame || !isAppUrl(facts.requestingOrigin)) return false;
  return facts.permission === CLIPBOARD_WRITE || facts.permission === SPEAKER_SELECTION || (facts.permission === 'media' && facts.mediaType === 'audio');
}

/** The session calls this module makes, typed structurally so tests pass a fake session. */
export interface PermissionSession {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl: string; isMainFrame: boolean; mediaTypes?: string[] }) => void): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string, requestingOrigin: string, details: { isMainFrame: boolean; mediaType?: string }) => boolean): void;
  setDevicePermissionHandler(handler: () => boolean): void;
}

/** Installs the policy on a session; refusals are logged without any page content. */
export function applyPermissionPolicy(session: PermissionSession, log: (message: string) => void = () => {}): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const allowed = allowPermissionRequest({ permission, requestingUrl: details.requestingUrl, isMainFrame: details.isMainFrame, mediaTypes: details.mediaTypes });
    if (!allowed) log(`permission refused: ${permission}${details.mediaTypes ? ` (${details.mediaTypes.join(', ')})` : ''}`);
    callback(allowed);
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    allowPermissionCheck({ permission, requestingOrigin, isMainFrame: details.isMainFrame, mediaType: details.mediaType }));
  session.setDevicePermissionHandler(() => false);
  // Screen capture needs a display-media handler too; with none installed Electron refuses it.
}
