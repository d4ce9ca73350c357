import { describe, expect, it, vi } from 'vitest';
import { createAutoUpdate, DEVELOPMENT_MESSAGE, setupAutoUpdate, type AutoUpdateOptions, type Updater } from '../../../main/shell/auto-update';

type CheckResult = Awaited<ReturnType<Updater['checkForUpdates']>>;

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise callback run. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

const NOTHING_NEW: CheckResult = { isUpdateAvailable: false, updateInfo: { version: '0.1.0' } };
const NEWER: CheckResult = { isUpdateAvailable: true, updateInfo: { version: '0.2.0' } };

/** Behaves like electron-updater's AppUpdater where the policy can tell. */
class FakeUpdater implements Updater {
  autoDownload = true;
  autoInstallOnAppQuit = false;
  allowPrerelease = false;
  allowDowngrade = false;
  private currentChannel: string | null = null;
  checks = 0;
  downloads = 0;
  installs: [boolean | undefined, boolean | undefined][] = [];
  private readonly listeners = new Set<(error: Error, message?: string) => void>();
  check: () => Promise<CheckResult> = async () => NOTHING_NEW;
  download: () => Promise<unknown> = async () => ['/tmp/update'];
  install: () => void = () => {};

  get channel() {
    return this.currentChannel;
  }
  set channel(value: string | null) {
    this.currentChannel = value;
    this.allowDowngrade = true; // as AppUpdater does
  }
  checkForUpdates() {
    this.checks++;
    return this.check();
  }
  downloadUpdate() {
    this.downloads++;
    return this.download();
  }
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean) {
    this.installs.push([isSilent, isForceRunAfter]);
    this.install();
  }
  on(_event: 'error', listener: (error: Error, message?: string) => void) {
    this.listeners.add(listener);
    return this;
  }
  off(_event: 'error', listener: (error: Error, message?: string) => void) {
    this.listeners.delete(listener);
    return this;
  }
  get errorListeners() {
    return this.listeners.size;
  }
  /** EventEmitter semantics: an `error` nobody listens to is thrown. */
  emitError(error: Error) {
    if (this.listeners.size === 0) throw error;
    for (const listener of this.listeners) listener(error, `${error.stack}`);
  }
  /** How AppUpdater fails a check or a download: the `error` event, then the rejected promise. */
  failWith(error: Error) {
    return () => {
      this.emitError(error);
      return Promise.reject(error);
    };
  }
}

function setup(overrides: Partial<AutoUpdateOptions> = {}, updater = new FakeUpdater()) {
  const messages: string[] = [];
  const confirmRestart = vi.fn(overrides.confirmRestart ?? (async () => false));
  const options: AutoUpdateOptions = { isPackaged: true, channel: 'stable', notify: (m) => messages.push(m), ...overrides, confirmRestart };
  const loadUpdater = vi.fn(async () => updater);
  const autoUpdate = createAutoUpdate(loadUpdater, options);
  return { updater, messages, confirmRestart, loadUpdater, autoUpdate };
}

describe('auto-update policy (electron-updater behind a fake)', () => {
  it('in development: nothing is loaded or checked, and "Check for updates" says updates are off', async () => {
    const messages: string[] = [];
    const autoUpdate = setupAutoUpdate({ isPackaged: false, channel: 'stable', notify: (m) => messages.push(m), confirmRestart: async () => true });
    await settle();
    expect(messages).toEqual([]);
    await autoUpdate.checkNow();
    expect(messages).toEqual([DEVELOPMENT_MESSAGE]);
    expect(DEVELOPMENT_MESSAGE).toBe('updates are off in development');
    autoUpdate.dispose();
    await autoUpdate.checkNow();
    expect(messages).toHaveLength(1);
  });

  it('at start: checks once, quietly when there is nothing newer', async () => {
    const { updater, messages } = setup();
    await settle();
    expect(updater.checks).toBe(1);
    expect(updater.downloads).toBe(0);
    expect(messages).toEqual([]);
  });

  it('"Check for updates" with nothing newer: says Trunkline is up to date', async () => {
    const { updater, messages, autoUpdate } = setup();
    await settle();
    await autoUpdate.checkNow();
    expect(updater.checks).toBe(2);
    expect(messages).toEqual(['Trunkline is up to date.']);
  });

  it('a newer version: downloaded in the background, then the person is asked before restarting; yes installs now', async () => {
    const updater = new FakeUpdater();
    const download = deferred<unknown>();
    updater.check = async () => NEWER;
    updater.download = () => download.promise;
    const { confirmRestart, messages } = setup({ confirmRestart: vi.fn(async () => true) }, updater);
    await settle();
    // electron-updater never downloads on its own: the policy does, so its failures are caught
    expect(updater.autoDownload).toBe(false);
    expect(updater.downloads).toBe(1);
    expect(confirmRestart).not.toHaveBeenCalled(); // still downloading; the app goes on
    expect(updater.installs).toEqual([]);
    download.resolve(['/tmp/Trunkline-0.2.0.AppImage']);
    await settle();
    expect(confirmRestart).toHaveBeenCalledTimes(1);
    expect(updater.installs).toEqual([[true, true]]); // silent install, then the new version starts
    expect(messages).toEqual([]);
  });

  it('declining the restart: nothing installs now, it installs at quit, and a later check offers it again without downloading again', async () => {
    const updater = new FakeUpdater();
    updater.check = async () => NEWER;
    const { confirmRestart, messages, autoUpdate } = setup({}, updater);
    await settle();
    expect(confirmRestart).toHaveBeenCalledTimes(1);
    expect(updater.installs).toEqual([]);
    expect(updater.autoInstallOnAppQuit).toBe(true);
    expect(messages).toEqual(['Trunkline 0.2.0 will be installed when you quit.']);
    confirmRestart.mockResolvedValueOnce(true);
    await autoUpdate.checkNow();
    expect(confirmRestart).toHaveBeenCalledTimes(2);
    expect(updater.downloads).toBe(1);
    expect(updater.checks).toBe(1);
    expect(updater.installs).toEqual([[true, true]]);
  });

  it('"Check for updates" finding a newer version says it is downloading; asked again meanwhile, that it already is', async () => {
    const updater = new FakeUpdater();
    const download = deferred<unknown>();
    updater.download = () => download.promise;
    const { messages, autoUpdate } = setup({}, updater);
    await settle();
    updater.check = async () => NEWER;
    const manual = autoUpdate.checkNow();
    await settle();
    expect(messages).toEqual(['Downloading Trunkline 0.2.0 in the background.']);
    const again = autoUpdate.checkNow();
    expect(messages.at(-1)).toBe('Trunkline 0.2.0 is already downloading.');
    expect(updater.downloads).toBe(1);
    download.resolve([]);
    await Promise.all([manual, again]);
  });

  it('"Check for updates" during the start check joins it: one check, and it answers', async () => {
    const updater = new FakeUpdater();
    const check = deferred<CheckResult>();
    updater.check = () => check.promise;
    const { messages, autoUpdate } = setup({}, updater);
    await settle();
    const manual = autoUpdate.checkNow();
    check.resolve(NOTHING_NEW);
    await manual;
    expect(updater.checks).toBe(1);
    expect(messages).toEqual(['Trunkline is up to date.']);
  });

  it('a failed check is reported once (electron-updater emits the error and rejects too), and the next check runs', async () => {
    const updater = new FakeUpdater();
    updater.check = updater.failWith(new Error('net::ERR_INTERNET_DISCONNECTED\n    at SimpleURLLoaderWrapper.<anonymous>'));
    const { messages, autoUpdate } = setup({}, updater);
    await settle();
    expect(messages).toEqual(['Could not check for updates: net::ERR_INTERNET_DISCONNECTED']);
    updater.check = async () => NOTHING_NEW;
    await autoUpdate.checkNow();
    expect(messages.at(-1)).toBe('Trunkline is up to date.');
  });

  it('a failed download is reported as such, and nothing is offered', async () => {
    const updater = new FakeUpdater();
    updater.check = async () => NEWER;
    updater.download = updater.failWith(new Error('sha512 checksum mismatch, expected abc, got def'));
    const { messages, confirmRestart, autoUpdate } = setup({}, updater);
    await settle();
    expect(messages).toEqual(['Could not download the update: sha512 checksum mismatch, expected abc, got def']);
    expect(confirmRestart).not.toHaveBeenCalled();
    updater.download = async () => [];
    confirmRestart.mockResolvedValueOnce(false);
    await autoUpdate.checkNow(); // back to idle: a new check and download
    expect(updater.downloads).toBe(2);
  });

  it('nothing crashes: a throwing call, a rejected load, an error event on its own, a throwing notify or dialog', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const throwing = new FakeUpdater();
      throwing.check = () => {
        throw new Error('Cannot find latest-linux.yml in the latest release artifacts');
      };
      const first = setup({}, throwing);
      await settle();
      expect(first.messages).toEqual(['Could not check for updates: Cannot find latest-linux.yml in the latest release artifacts']);
      // an error event outside any check (Squirrel.Mac reports this way) is reported, not thrown
      expect(() => throwing.emitError(new Error('Code signature did not pass validation'))).not.toThrow();
      expect(first.messages.at(-1)).toBe('Update failed: Code signature did not pass validation');

      const messages: string[] = [];
      const load = vi.fn(async (): Promise<Updater> => {
        throw new Error('Electron failed to install correctly');
      });
      const failedLoad = createAutoUpdate(load, { isPackaged: true, channel: 'stable', notify: (m) => messages.push(m), confirmRestart: async () => true });
      await settle();
      await expect(failedLoad.checkNow()).resolves.toBeUndefined();
      expect(load).toHaveBeenCalledTimes(2); // a failed load is tried again by the next check
      expect(messages).toEqual(['Could not check for updates: Electron failed to install correctly', 'Could not check for updates: Electron failed to install correctly']);

      const rude = new FakeUpdater();
      rude.check = async () => NEWER;
      rude.install = () => {
        throw new Error('EACCES: the installer could not be started');
      };
      const notify = vi.fn(() => {
        throw new Error('notification service gone');
      });
      setup({ notify, confirmRestart: async () => true }, rude);
      await settle();
      expect(notify).toHaveBeenCalledWith('Could not install the update: EACCES: the installer could not be started');

      const refused = new FakeUpdater();
      refused.check = async () => NEWER;
      const dialogGone = setup({ confirmRestart: async () => Promise.reject(new Error('window closed')) }, refused);
      await settle();
      expect(dialogGone.messages).toEqual(['Could not install the update: window closed', 'Trunkline 0.2.0 will be installed when you quit.']);
      expect(refused.installs).toEqual([]);
      await settle();
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('stable channel: releases only, latest.yml, never a downgrade', async () => {
    const { updater } = setup({ channel: 'stable' });
    await settle();
    expect(updater.channel).toBe('latest');
    expect(updater.allowPrerelease).toBe(false);
    expect(updater.allowDowngrade).toBe(false);
    expect(updater.autoInstallOnAppQuit).toBe(true);
  });

  it('beta channel: pre-releases too (allowPrerelease), beta.yml, never a downgrade', async () => {
    const { updater } = setup({ channel: 'beta' });
    await settle();
    expect(updater.channel).toBe('beta');
    expect(updater.allowPrerelease).toBe(true);
    expect(updater.allowDowngrade).toBe(false);
  });

  it('dispose: no more checks or messages, and a late error event still cannot throw', async () => {
    const updater = new FakeUpdater();
    const check = deferred<CheckResult>();
    updater.check = () => check.promise;
    const { messages, autoUpdate } = setup({}, updater);
    await settle();
    autoUpdate.dispose();
    check.resolve(NEWER);
    await settle();
    await autoUpdate.checkNow();
    expect(updater.checks).toBe(1);
    expect(updater.downloads).toBe(0);
    expect(messages).toEqual([]);
    expect(updater.errorListeners).toBe(1); // a silent one stays: EventEmitter throws an unheard error
    expect(() => updater.emitError(new Error('late'))).not.toThrow();
    expect(messages).toEqual([]);
  });

  it('packaged, with the real electron-updater but no Electron around it: the failure is reported, not thrown', async () => {
    const messages: string[] = [];
    const autoUpdate = setupAutoUpdate({ isPackaged: true, channel: 'stable', notify: (m) => messages.push(m), confirmRestart: async () => false });
    await expect(autoUpdate.checkNow()).resolves.toBeUndefined();
    await settle();
    autoUpdate.dispose();
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.every((m) => m.startsWith('Could not check for updates: '))).toBe(true);
  });
});
