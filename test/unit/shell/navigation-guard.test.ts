import { EventEmitter } from 'node:events';
import type { WindowOpenHandlerResponse } from 'electron';
import { describe, expect, it } from 'vitest';
import type { GuardedContents } from '../../../main/shell/navigation-guard';
import { guardNavigation, mayNavigate } from '../../../main/shell/navigation-guard';

/** A web contents stand-in: an emitter plus the window-open handler slot. */
function fakeContents() {
  const emitter = new EventEmitter() as EventEmitter & { openHandler?: (details: { url: string }) => WindowOpenHandlerResponse };
  const contents = Object.assign(emitter, {
    setWindowOpenHandler(handler: (details: { url: string }) => WindowOpenHandlerResponse) {
      emitter.openHandler = handler;
    },
  });
  return contents;
}

function navigate(contents: EventEmitter, event: string, url: string): boolean {
  let prevented = false;
  contents.emit(event, { url, preventDefault: () => (prevented = true) });
  return prevented;
}

describe('navigation and new windows', () => {
  it('navigating within the app origin is allowed; anywhere else is refused, for navigations, redirects and subframes', () => {
    const contents = fakeContents();
    const log: string[] = [];
    guardNavigation(contents as unknown as GuardedContents, (m) => log.push(m));
    for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
      expect(navigate(contents, event, 'app://trunkline/index.html#/lines')).toBe(false);
      for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://other/', 'javascript:alert(1)', 'data:text/html,<script>1</script>']) {
        expect(navigate(contents, event, url), `${event} ${url}`).toBe(true);
      }
    }
    expect(log[0]).toBe('navigation refused: https://evil.example/');
  });

  it('window.open and target=_blank are denied, even for the app origin', () => {
    const contents = fakeContents();
    guardNavigation(contents as unknown as GuardedContents);
    expect(contents.openHandler!({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: 'app://trunkline/index.html' })).toEqual({ action: 'deny' });
  });

  it('a <webview> is never attached', () => {
    const contents = fakeContents();
    guardNavigation(contents as unknown as GuardedContents);
    let prevented = false;
    contents.emit('will-attach-webview', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
  });

  it('mayNavigate is the app-origin test', () => {
    expect(mayNavigate('app://trunkline/')).toBe(true);
    expect(mayNavigate('https://trunkline/')).toBe(false);
  });
});
