/**
 * The main window's options, every security-relevant web preference spelled out rather than left
 * to defaults (Electron security checklist items 2–4, 6, 8–9, 11–12): an isolated, sandboxed
 * renderer without Node, with web security on, and no <webview>.
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

/** The renderer's web preferences. Exported so tests (and the e2e spec) check each one. */
export function secureWebPreferences(preload: string, options: { devTools: boolean }): WebPreferences {
  return {
    preload,
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
    // The ringer must sound for a call that comes in while nobody has touched the window.
    autoplayPolicy: 'no-user-gesture-required',
    // A phone in the background still rings and keeps its call audio on time.
    backgroundThrottling: false,
    devTools: options.devTools,
  };
}

export interface MainWindowParams {
  /** Absolute path of the built preload script. */
  preload: string;
  /** DevTools only in development builds. */
  devTools: boolean;
}

export function mainWindowOptions(params: MainWindowParams): BrowserWindowConstructorOptions {
  return {
    title: 'Trunkline',
    width: 1280,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    // Shown on 'ready-to-show', so the first frame is the UI rather than a white flash.
    show: false,
    autoHideMenuBar: false,
    webPreferences: secureWebPreferences(params.preload, { devTools: params.devTools }),
  };
}
