/**
 * Auto-update: electron-updater, driven by a policy that never crashes the app.
 *
 * ```
 *   idle ──check──► checking ──nothing newer──► idle
 *                      │ newer version found
 *                      ▼
 *                 downloading ──failed──► idle          (in the background)
 *                      │ downloaded
 *                      ▼
 *                    ready ──confirmRestart() → yes──► installing (quitAndInstall)
 *                      │ no: installed when the app quits (autoInstallOnAppQuit)
 * ```
 *
 * It checks once at start and whenever `checkNow()` is called (the "Check for updates" menu
 * item); a manual check is answered even when there is nothing new, a start check only when
 * there is. Every failure — a rejected promise, a throwing call, an `error` event — is
 * reported once through `notify` and the policy returns to idle. Where updates come from is
 * the `publish` configuration electron-builder writes into the app (app-update.yml).
 */
import { createRequire } from 'node:module';
import type { AppUpdater } from 'electron-updater';

export type UpdateChannel = 'stable' | 'beta';

export interface AutoUpdateOptions {
  /** `app.isPackaged`: an unpackaged (development) app never updates itself. */
  isPackaged: boolean;
  /** stable: releases only; beta: pre-releases (1.2.0-beta.1) and releases. */
  channel: UpdateChannel;
  /** Shows a short message to the person (a notification, a dialog, the tray). */
  notify(message: string): void;
  /** Asks whether to restart now to install the downloaded update; false installs it at quit. */
  confirmRestart(): Promise<boolean>;
}

export interface AutoUpdate {
  /** Checks for an update now, downloads it in the background and offers to restart. Never rejects. */
  checkNow(): Promise<void>;
  /** Stops reporting; a download already under way may still finish and install at quit. */
  dispose(): void;
}

/** The part of electron-updater's `AppUpdater` this policy drives; tests pass a fake. */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowPrerelease: boolean;
  allowDowngrade: boolean;
  channel: string | null;
  checkForUpdates(): Promise<{ isUpdateAvailable: boolean; updateInfo: { version: string } } | null>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  on(event: 'error', listener: (error: Error, message?: string) => void): unknown;
  off(event: 'error', listener: (error: Error, message?: string) => void): unknown;
}

/** Checks at start (when packaged) and on demand; see the module comment. */
export function setupAutoUpdate(options: AutoUpdateOptions): AutoUpdate {
  if (!options.isPackaged) return developmentAutoUpdate(options.notify);
  return createAutoUpdate(loadElectronUpdater, options);
}

export const DEVELOPMENT_MESSAGE = 'updates are off in development';

function developmentAutoUpdate(notify: (message: string) => void): AutoUpdate {
  let disposed = false;
  return {
    async checkNow() {
      if (!disposed) tell(notify, DEVELOPMENT_MESSAGE);
    },
    dispose() {
      disposed = true;
    },
  };
}

/**
 * electron-updater's `autoUpdater` is a getter that builds the platform's updater (and loads
 * `electron`) on first read, so it is read here, inside the packaged app, and only then. Through
 * `require`: Node's ESM view of this CommonJS module does not list the getter as an export.
 */
async function loadElectronUpdater(): Promise<Updater> {
  const load = createRequire(__filename);
  return (load('electron-updater') as { autoUpdater: AppUpdater }).autoUpdater;
}

type Phase = 'idle' | 'checking' | 'downloading' | 'ready' | 'installing' | 'disposed';

const FAILURE: Record<Phase, string> = {
  idle: 'Update failed',
  checking: 'Could not check for updates',
  downloading: 'Could not download the update',
  ready: 'Could not install the update',
  installing: 'Could not install the update',
  disposed: 'Update failed',
};

/** Updaters that already carry a silent `error` listener (see `dispose`). */
const guarded = new WeakSet<Updater>();
const ignoreError = () => {};

/** The policy over any {@link Updater}; `setupAutoUpdate` gives it electron-updater's. Starts the first check at once. */
export function createAutoUpdate(loadUpdater: () => Promise<Updater>, options: AutoUpdateOptions): AutoUpdate {
  let phase: Phase = 'idle';
  let updater: Promise<Updater> | undefined;
  let run: Promise<void> | undefined;
  let asking: Promise<void> | undefined;
  /** The current check answers the person even when nothing is new (a manual check, or one joined it). */
  let answer = false;
  let version = '';
  let reported = new WeakSet<object>();

  const say = (message: string) => {
    if (phase !== 'disposed') tell(options.notify, message);
  };

  // The same failure arrives twice from electron-updater (an `error` event, then the rejected
  // promise): report it once, worded for the phase it interrupted.
  const report = (error: unknown) => {
    if (typeof error === 'object' && error !== null) {
      if (reported.has(error)) return;
      reported.add(error);
    }
    say(`${FAILURE[phase]}: ${reasonOf(error)}`);
  };
  const onError = (error: Error) => report(error);

  const ready = (): Promise<Updater> => {
    updater ??= loadUpdater().then((loaded) => {
      configure(loaded, options.channel);
      // An `error` event without a listener throws (EventEmitter): one listener stays for good.
      if (!guarded.has(loaded)) {
        loaded.on('error', ignoreError);
        guarded.add(loaded);
      }
      if (phase !== 'disposed') loaded.on('error', onError);
      return loaded;
    });
    // A failed load is retried by the next check.
    updater.catch(() => {
      updater = undefined;
    });
    return updater;
  };

  const offerRestart = (target: Updater): Promise<void> => {
    asking ??= (async () => {
      let restart = false;
      try {
        restart = await options.confirmRestart();
      } catch (error) {
        report(error);
      }
      if (phase !== 'ready') return;
      if (!restart) {
        say(`Trunkline ${version} will be installed when you quit.`);
        return;
      }
      phase = 'installing';
      try {
        target.quitAndInstall(true, true); // silently, then start the new version
      } catch (error) {
        report(error);
        phase = 'ready';
      }
    })().finally(() => {
      asking = undefined;
    });
    return asking;
  };

  const check = async (): Promise<void> => {
    phase = 'checking';
    try {
      const target = await ready();
      if (phase !== 'checking') return;
      const result = await target.checkForUpdates();
      if (phase !== 'checking') return;
      if (!result?.isUpdateAvailable) {
        phase = 'idle';
        if (answer) say('Trunkline is up to date.');
        return;
      }
      version = result.updateInfo.version;
      phase = 'downloading';
      if (answer) say(`Downloading Trunkline ${version} in the background.`);
      await target.downloadUpdate();
      if (phase !== 'downloading') return;
      phase = 'ready';
      await offerRestart(target);
    } catch (error) {
      report(error);
      if (phase === 'checking' || phase === 'downloading') phase = 'idle';
    }
  };

  const start = (manual: boolean): Promise<void> => {
    answer = manual;
    reported = new WeakSet();
    run = check().finally(() => {
      run = undefined;
    });
    return run;
  };

  void start(false);

  return {
    checkNow() {
      switch (phase) {
        case 'idle':
          return start(true);
        case 'checking':
          answer = true;
          return run ?? Promise.resolve();
        case 'downloading':
          say(`Trunkline ${version} is already downloading.`);
          return run ?? Promise.resolve();
        case 'ready':
          return updater ? updater.then(offerRestart, () => {}) : Promise.resolve();
        default:
          return Promise.resolve();
      }
    },
    dispose() {
      phase = 'disposed';
      void updater?.then((loaded) => loaded.off('error', onError), () => {});
    },
  };
}

function configure(updater: Updater, channel: UpdateChannel): void {
  updater.autoDownload = false; // downloaded here, so that every failure is caught and reported
  updater.autoInstallOnAppQuit = true; // a declined restart installs at the next quit
  // The channel names the update file read: latest.yml (stable) or beta.yml; electron-builder
  // writes beta.yml for stable releases too (generateUpdatesFilesForAllChannels).
  updater.channel = channel === 'beta' ? 'beta' : 'latest';
  updater.allowPrerelease = channel === 'beta';
  // Setting `channel` allows downgrades; never install an older version over newer settings.
  updater.allowDowngrade = false;
}

/** The first line of an error: electron-updater's messages go on with stacks and HTTP bodies. */
function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').map((part) => part.trim()).find((part) => part.length > 0) ?? 'unknown error';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** A throwing `notify` must not take the policy down with it. */
function tell(notify: (message: string) => void, message: string): void {
  try {
    notify(message);
  } catch {
    // nothing left to report it through
  }
}
