/**
 * Navigation and new windows (Electron security checklist 13–15): the renderer may only ever show
 * the app origin. Navigation and redirects elsewhere are refused, `window.open` and
 * `target=_blank` are denied (links leave the app only through the confirming `openExternal`
 * command), and <webview> can never be attached.
 */
import type { WindowOpenHandlerResponse } from 'electron';
import { isAppUrl } from './app-origin';

/** Whether a navigation (or redirect) of our renderer to `url` may proceed. */
export function mayNavigate(url: string): boolean {
  return isAppUrl(url);
}

interface Preventable {
  preventDefault(): void;
}

/** The part of `WebContents` the guard touches, so tests drive it with a plain emitter. */
export interface GuardedContents {
  on(event: 'will-navigate', listener: (event: Preventable & { url: string }) => void): unknown;
  on(event: 'will-redirect', listener: (event: Preventable & { url: string }) => void): unknown;
  on(event: 'will-frame-navigate', listener: (event: Preventable & { url: string }) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: Preventable) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => WindowOpenHandlerResponse): void;
}

/** Applies the guard to one web contents; `app.on('web-contents-created')` calls it for each. */
export function guardNavigation(contents: GuardedContents, log: (message: string) => void = () => {}): void {
  const refuseForeign = (event: Preventable & { url: string }) => {
    const target = event.url;
    if (mayNavigate(target)) return;
    event.preventDefault();
    log(`navigation refused: ${target.slice(0, 200)}`);
  };
  contents.on('will-navigate', refuseForeign);
  contents.on('will-redirect', refuseForeign);
  contents.on('will-frame-navigate', refuseForeign);
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('<webview> refused');
  });
  contents.setWindowOpenHandler(({ url }) => {
    log(`new window refused: ${url.slice(0, 200)}`);
    return { action: 'deny' };
  });
}
