/**
 * Just enough of the `electron` module for the composition root (main/shell/app.ts) to start,
 * take commands, hide to the tray and quit inside vitest — every call recorded. Not a simulation of
 * Electron: what Electron itself does with these calls is the e2e-electron specs' business.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeSafeStorage } from './fake-safe-storage';

export const userData = mkdtempSync(join(tmpdir(), 'trunkline-app-'));

interface Preventable {
  defaultPrevented: boolean;
  preventDefault(): void;
}
export const preventable = (): Preventable => ({
  defaultPrevented: false,
  preventDefault() {
    this.defaultPrevented = true;
  },
});

class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  url = '';
  readonly sent: [string, unknown][] = [];
  isDestroyed = () => false;
  isCrashed = () => false;
  reload = () => {};
  getURL = () => this.url;
  send = (channel: string, payload: unknown) => this.sent.push([channel, payload]);
}

export class BrowserWindow extends EventEmitter {
  static readonly all: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  visible = false;
  readonly loaded: string[] = [];

  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.all.push(this);
  }

  async loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    this.webContents.url = url;
    this.webContents.emit('did-finish-load');
  }

  show = () => (this.visible = true);
  hide = () => (this.visible = false);
  focus = () => {};
  isMinimized = () => false;
  restore = () => {};
  isDestroyed = () => false;
}

class FakeApp extends EventEmitter {
  isPackaged = false;
  readonly paths = new Map<string, string>([['userData', userData]]);
  readonly exits: number[] = [];
  quitsCompleted = 0;
  getPath = (name: string) => this.paths.get(name) ?? tmpdir();
  setPath = (name: string, path: string) => this.paths.set(name, path);
  getVersion = () => '0.1.0';
  getAppPath = () => join(__dirname, '..', '..', '..');
  requestSingleInstanceLock = () => true;
  readonly commandLine = {
    switches: [] as string[],
    appendSwitch(name: string) {
      this.switches.push(name);
    },
  };
  whenReady = () => Promise.resolve();
  /** Like Electron: `before-quit` first; quitting completes unless a listener prevented it. */
  quit = () => {
    const event = preventable();
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.quitsCompleted++;
  };
  exit = (code = 0) => this.exits.push(code);
}
export const app = new FakeApp();

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>;
export const ipcMain = Object.assign(new EventEmitter(), {
  handlers: new Map<string, Handler>(),
  handle(channel: string, handler: Handler) {
    this.handlers.set(channel, handler);
  },
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  },
});

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: unknown[]) {
    this.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response>) {
    this.handlers.set(scheme, handler);
  },
};

export const session = {
  defaultSession: {
    installed: [] as string[],
    setPermissionRequestHandler() {
      this.installed.push('permission-request');
    },
    setPermissionCheckHandler() {
      this.installed.push('permission-check');
    },
    setDevicePermissionHandler() {
      this.installed.push('device-permission');
    },
    webRequest: {
      filters: [] as { urls: string[] }[],
      onBeforeRequest(filter: { urls: string[] }) {
        this.filters.push(filter);
      },
    },
  },
};

export class Tray extends EventEmitter {
  static readonly all: Tray[] = [];
  tooltip = '';
  menu: unknown = null;
  image: unknown;
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.image = image;
    Tray.all.push(this);
  }
  setImage = (image: unknown) => (this.image = image);
  setToolTip = (text: string) => (this.tooltip = text);
  setContextMenu = (menu: unknown) => (this.menu = menu);
  destroy = () => (this.destroyed = true);
}

export const Menu = {
  application: null as unknown,
  buildFromTemplate: (template: unknown) => template,
  setApplicationMenu(menu: unknown) {
    this.application = menu;
  },
};

export const nativeImage = { createFromPath: (path: string) => ({ path }) };

export class Notification extends EventEmitter {
  static readonly shown: { title: string; body: string }[] = [];
  static isSupported = () => true;
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show = () => Notification.shown.push(this.options);
}

export const powerMonitor = new EventEmitter();
export const autoUpdater = new EventEmitter();
export const safeStorage = fakeSafeStorage();
export const shell = { opened: [] as string[], openExternal: async (url: string) => void shell.opened.push(url) };
export const dialog = { showMessageBox: async () => ({ response: 1 }) };
