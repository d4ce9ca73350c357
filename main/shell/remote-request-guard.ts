/**
 * "No remote content" at the network layer, under the CSP: every http(s), ws(s), ftp and file
 * request made in the UI's session is cancelled, so even a CSP mistake cannot load or send
 * anything off the machine. The UI only ever needs `app://`. Main-process networking that must
 * reach the internet (electron-updater) uses its own session partition and is not affected; the
 * SIP engine uses Node sockets, not Chromium's network stack.
 */

export const REMOTE_URL_PATTERNS = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*', 'file://*/*'];

/** The part of `session.webRequest` used here. */
export interface RequestFilter {
  onBeforeRequest(filter: { urls: string[] }, listener: (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void): void;
}

export function blockRemoteRequests(webRequest: RequestFilter, log: (message: string) => void = () => {}): void {
  webRequest.onBeforeRequest({ urls: REMOTE_URL_PATTERNS }, (details, callback) => {
    log(`remote request cancelled: ${details.url.slice(0, 200)}`);
    callback({ cancel: true });
  });
}
