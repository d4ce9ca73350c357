import { describe, expect, it } from 'vitest';
import { mainWindowOptions, secureWebPreferences } from '../../../main/shell/window-options';

describe('main window: Electron security checklist web preferences', () => {
  it('isolated, sandboxed, no Node, web security on, no webview — each spelled out, not left to defaults', () => {
    const prefs = mainWindowOptions({ preload: '/app/out/preload/preload.js', devTools: false }).webPreferences;
    expect(prefs).toEqual({
      preload: '/app/out/preload/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      autoplayPolicy: 'no-user-gesture-required',
      backgroundThrottling: false,
      devTools: false,
    });
  });

  it('DevTools only when asked (development builds)', () => {
    expect(secureWebPreferences('/p.js', { devTools: true }).devTools).toBe(true);
    expect(secureWebPreferences('/p.js', { devTools: true })).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
  });

  it('the window waits for its first frame before showing', () => {
    expect(mainWindowOptions({ preload: '/p.js', devTools: false })).toMatchObject({ show: false, title: 'Trunkline' });
  });
});
