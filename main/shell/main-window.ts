/**
 * The one main window. Closing it hides it to the tray (the engine keeps every line registered);
 * it really closes only once quitting has begun. It loads the UI from the app origin only.
 */
import { BrowserWindow } from 'electron';
import type { WebContents } from 'electron';
import { APP_ENTRY_URL } from './app-origin';
import { mainWindowOptions } from './window-options';

export interface MainWindowOptions {
  preload: string;
  devTools: boolean;
  /** True once the quit sequence has started. */
  isQuitting(): boolean;
  /** The UI finished loading (notices can be replayed). */
  onLoaded(): void;
  /** The UI is reloading or gone. */
  onUnloaded(): void;
  /** Windows session end (shutdown, log-off): there is no time to lose. */
  onSessionEnd(): void;
  log(message: string): void;
}

export class MainWindow {
  private window: BrowserWindow | null = null;

  constructor(private readonly options: MainWindowOptions) {}

  /** Shows the window, creating it if needed, and brings it to the front. */
  show(): void {
    if (this.options.isQuitting()) return;
    const window = this.window ?? this.create();
    if (window.webContents.isCrashed()) window.webContents.reload();
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }

  hide(): void {
    this.window?.hide();
  }

  /** The window's contents (IPC target, sender check), or null when there is none. */
  contents(): WebContents | null {
    return this.window && !this.window.isDestroyed() ? this.window.webContents : null;
  }

  browserWindow(): BrowserWindow | null {
    return this.window && !this.window.isDestroyed() ? this.window : null;
  }

  private create(): BrowserWindow {
    const options = mainWindowOptions({ preload: this.options.preload, devTools: this.options.devTools });
    // The scanner cannot see through mainWindowOptions(): its web preferences (contextIsolation, sandbox, no Node,
    // contract-only preload) are spelled out in window-options.ts and unit-tested; middle-click new windows are
    // denied by navigation-guard.ts's setWindowOpenHandler.
    const window = new BrowserWindow(options); /* eng-disable CONTEXT_ISOLATION_JS_CHECK SANDBOX_JS_CHECK PRELOAD_JS_CHECK AUXCLICK_JS_CHECK -- see the comment above: window-options.ts, navigation-guard.ts */
    this.window = window;
    window.once('ready-to-show', () => window.show());
    window.on('close', (event) => {
      if (this.options.isQuitting()) return;
      event.preventDefault();
      window.hide();
    });
    window.on('closed', () => {
      this.window = null;
      this.options.onUnloaded();
    });
    window.on('session-end', () => this.options.onSessionEnd());
    const contents = window.webContents;
    contents.on('did-start-loading', () => this.options.onUnloaded());
    contents.on('did-finish-load', () => this.options.onLoaded());
    contents.on('render-process-gone', (_event, details) => this.options.log(`renderer gone: ${details.reason}`));
    void window.loadURL(APP_ENTRY_URL).catch((error: Error) => this.options.log(`UI failed to load: ${error.message}`));
    return window;
  }
}
