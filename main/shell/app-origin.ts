/**
 * The one origin the UI lives at: `app://trunkline/`, a privileged custom scheme served from the
 * files shipped with the app (see app-protocol.ts). Every trust decision in the shell — navigation,
 * IPC senders, permissions — asks this module whether a URL belongs to it.
 */
import type { CustomScheme } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'trunkline';
/** The origin as Chromium reports it for a standard scheme. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** Where the window loads the UI. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Privileges for `protocol.registerSchemesAsPrivileged` (before `ready`): `standard` gives the
 * scheme a real origin (relative URLs, same-origin checks), `secure` makes it a secure context
 * (getUserMedia needs one), `supportFetchAPI` lets the page fetch its own assets. Nothing else:
 * no `bypassCSP`, no `corsEnabled`, no service workers, no `allowServiceWorkers`.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/**
 * Whether `url` (a full URL or a bare origin such as `app://trunkline` or `app://trunkline/`) is
 * the app's own origin. WHATWG `URL.origin` is "null" for non-special schemes, so scheme and host
 * are compared instead; user info and ports are refused outright.
 */
export function isAppUrl(url: string | null | undefined): boolean {
  if (typeof url !== 'string' || url.length === 0) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.hostname.toLowerCase() === APP_HOST && parsed.port === '' && parsed.username === '' && parsed.password === '';
}
