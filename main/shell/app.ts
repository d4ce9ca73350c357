/**
 * Trunkline's Electron entry: the composition root. It only wires Electron to the seams beside it
 * (quit-sequence, wake-watcher, notification-policy, tray-controller, the security modules and the
 * repository), where the behaviour lives and is unit-tested.
 *
 * One instance, one window; the SIP engine starts with the app and keeps running when the window
 * is closed to the tray. Quitting — menu, tray, OS shutdown, `before-quit`, SIGINT/SIGTERM — goes
 * through the QuitSequence: every line unregisters (bounded), then the app exits, never hanging.
 *
 * `TRUNKLINE_USER_DATA_DIR` moves the settings folder (and the single-instance lock), for tests
 * and for IT who want a profile elsewhere.
 */
import { app, autoUpdater, ipcMain, Menu, Notification, powerMonitor, protocol, safeStorage, session, shell } from 'electron';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EventMap, EventName } from '../../preload/contract';
import { systemClock } from '../sip/clock';
import { CallManager } from '../sip/calls/call-manager';
import { SipEngine } from '../sip/engine';
import { appMenuTemplate } from './app-menu';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES } from './app-origin';
import { createAppProtocolHandler } from './app-protocol';
import { setupAutoUpdate } from './auto-update';
import type { CallDocumentStore } from './call-history';
import { CallHistoryRepository, MemoryCallDocumentStore } from './call-history';
import { CallNotifier } from './call-notifier';
import { CallService, callFeedOf } from './call-service';
import { routeCommands } from './command-router';
import { linkFromArgv } from './dial-links';
import { openElectronCallStore } from './electron-call-store';
import { createDesktopNotifier } from './desktop-notifier';
import { confirmOpenExternal, confirmRestartForUpdate } from './dialogs';
import { openElectronDocumentFile } from './electron-document-file';
import { ElectronLineRepository } from './electron-line-repository';
import { createElectronTray } from './electron-tray';
import { createExternalOpener } from './external-links';
import { createEventSink, registerCommandHandlers } from './ipc-bridge';
import { checkSender } from './ipc-sender';
import type { LineRepository } from './line-repository';
import { MemoryLineRepository } from './line-repository';
import type { EventSink } from './line-service';
import { DiagnosticsExports } from './diagnostics-exports';
import { LineService } from './line-service';
import { MainWindow } from './main-window';
import { MediaService, routeMediaCommands, sharedMediaHost, withBusAudio } from './media-service';
import { guardNavigation } from './navigation-guard';
import { routableAddresses } from './network-change-detector';
import { NoticeBoard } from './notice-board';
import { NotificationPolicy } from './notification-policy';
import { applyPermissionPolicy } from './permission-policy';
import { QuitSequence } from './quit-sequence';
import { ReRegisterTrigger } from './re-register-trigger';
import { blockRemoteRequests } from './remote-request-guard';
import { safeStorageCipher } from './secret-cipher';
import { TrayController } from './tray-controller';
import { TrayStatus } from './tray-status';
import { updateChannel } from './update-channel';
import { watchForWake } from './wake-watcher';

const log = (message: string) => console.log(`[trunkline] ${message}`);
const clock = systemClock;
const devTools = !app.isPackaged;
// out/main/shell → out/: the built renderer and preload sit beside main/.
const outDir = join(__dirname, '..', '..');

// Before `ready`: the app scheme's privileges, and where settings (and the instance lock) live.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
if (process.env.TRUNKLINE_USER_DATA_DIR) app.setPath('userData', process.env.TRUNKLINE_USER_DATA_DIR);
// Windows shows notifications only for a registered AppUserModelID: electron-builder's appId.
if (process.platform === 'win32') app.setAppUserModelId('net.trunkline.app');
// The audio bus is a WebRTC leg to the media host on 127.0.0.1: Chromium offers no loopback
// candidate without this (research/calls-design.md §3.3).
app.commandLine.appendSwitch('allow-loopback-in-peer-connection');

if (!app.requestSingleInstanceLock()) {
  // Another Trunkline owns these settings; it shows its window (see 'second-instance').
  app.exit(0);
} else {
  run();
}

function run(): void {
  // The engine is made once; the diagnostics settings (metrics, HEP) come and go behind these hooks.
  const diagnostics = new DiagnosticsExports((notice) => notices.push(notice));
  const engine = new SipEngine({
    userAgent: `Trunkline/${app.getVersion()}`,
    traceSink: diagnostics.traceSink,
    registrationObserver: diagnostics.registrationObserver,
  });
  diagnostics.follow(engine);
  // Calls listen on every line's user agents, so the manager exists before any line starts.
  // One media host serves the calls' trunk legs and the window's audio bus (the relay joins them).
  const mediaHost = sharedMediaHost();
  const calls = new CallManager(engine, { mediaHost: mediaHost.get });
  // sip:/tel:/callto: links: the first instance's argv (Windows/Linux), later ones through
  // 'second-instance', and macOS 'open-url' (which may fire before 'ready'). Until the service
  // exists they wait here; the service then keeps one for the page until it asks (call:take-link).
  let openLink: (link: string) => void;
  const earlyLinks: string[] = [];
  openLink = (link) => void earlyLinks.push(link);
  const firstLink = linkFromArgv(process.argv.slice(1));
  if (firstLink) openLink(firstLink);
  app.on('open-url', (event, url) => {
    event.preventDefault();
    openLink(url);
  });
  let pageLoaded = false;
  let sink: EventSink = () => {};
  const notices = new NoticeBoard((notice) => sink('app:notice', notice), (notice) => log(`${notice.level}: ${notice.message}`));
  const window = new MainWindow({
    preload: join(outDir, 'preload', 'preload.js'),
    devTools,
    isQuitting: () => quit.quitting,
    onLoaded: () => {
      pageLoaded = true;
      notices.attach();
    },
    onUnloaded: () => {
      pageLoaded = false;
      notices.detach();
    },
    onSessionEnd: () => quit.request('os-shutdown'),
    log,
  });
  let teardown: () => void = () => {};

  const quit = new QuitSequence({
    clock,
    // Calls end first (CANCEL/BYE, bounded), then every line unregisters.
    engine: {
      shutdown: async (boundMs) => {
        await calls.shutdown(Math.min(2_000, boundMs)).catch(() => undefined);
        await mediaHost.stop().catch(() => undefined);
        await engine.shutdown(boundMs);
      },
    },
    onStart: (source) => {
      log(`quitting (${source}): unregistering every line`);
      teardown();
      window.hide();
    },
    finish: (outcome) => {
      log(`unregister finished (${outcome}); exiting`);
      app.quit();
    },
    exitNow: (outcome) => {
      log(`exiting now (${outcome})`);
      app.exit(0);
    },
  });

  app.on('before-quit', (event) => {
    if (quit.request('before-quit') === 'hold') event.preventDefault();
  });
  // Windows and Linux desktops stay in the tray; quitting is always explicit.
  app.on('window-all-closed', () => {});
  app.on('second-instance', (_event, argv) => {
    window.show();
    const link = linkFromArgv(argv.slice(1));
    if (link) openLink(link);
  });
  app.on('activate', () => window.show());
  app.on('web-contents-created', (_event, contents) => guardNavigation(contents, log));
  // electron-updater's quitAndInstall closes windows before `before-quit`: they must really close.
  autoUpdater.on('before-quit-for-update', () => quit.request('update'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => (quit.state === 'running' ? quit.request('signal') : quit.force()));
  }

  app.whenReady().then(async () => {
    // Linux/macOS: preventDefault asks the OS to wait while lines unregister (the typings omit the event).
    powerMonitor.on('shutdown', ((event?: { preventDefault?(): void }) => {
      event?.preventDefault?.();
      quit.request('os-shutdown');
    }) as () => void);
    protocol.handle(APP_SCHEME, createAppProtocolHandler(join(outDir, 'renderer'), (path) => readFile(path)));
    applyPermissionPolicy(session.defaultSession, log);
    blockRemoteRequests(session.defaultSession.webRequest, log);

    const repository = await openRepository((notice) => notices.push(notice));
    const settings = repository.loadSettings();
    const policy = new NotificationPolicy({ clock, enabled: settings.notifications, show: createDesktopNotifier(() => window.show()) });
    const trayStatus = new TrayStatus();
    const tray = new TrayController({
      clock,
      status: trayStatus,
      platform: process.platform,
      actions: { quit: () => app.quit(), showWindow: () => window.show() },
      createTray: (file) => createElectronTray(join(app.getAppPath(), 'assets', 'tray'), file, () => window.show()),
    });
    const offLine = engine.onLine((snapshot) => {
      policy.observe(snapshot);
      trayStatus.observe(snapshot);
      tray.changed();
    });
    const offRemoved = engine.onRemoved((id) => {
      policy.forget(id);
      trayStatus.remove(id);
      tray.changed();
    });

    sink = createEventSink(() => window.contents());
    const emit: EventSink = <E extends EventName>(event: E, payload: EventMap[E]) => {
      if (event === 'settings:changed') {
        policy.setEnabled((payload as EventMap['settings:changed']).notifications);
        void diagnostics.apply(payload as EventMap['settings:changed']);
      }
      sink(event, payload);
    };
    const openExternal = createExternalOpener({
      confirm: (url) => confirmOpenExternal(window.browserWindow(), url),
      // Reached only for http(s) without user info, after the person confirmed the exact address.
      open: (url) => shell.openExternal(url), /* eng-disable OPEN_EXTERNAL_JS_CHECK -- guarded by createExternalOpener (external-links.ts) */
    });
    const service = new LineService(engine, repository, emit, openExternal);
    const feed = callFeedOf(calls);
    const media = new MediaService({ host: mediaHost.get, feed, emit });
    const callStore = await openCallStore((message) => notices.push({ level: 'warning', message }));
    const callNotifier = new CallNotifier({
      platform: process.platform,
      create: (notice) => {
        if (!Notification.isSupported()) return null;
        return new Notification({ title: notice.title, body: notice.body, actions: notice.actions.map((text) => ({ type: 'button' as const, text })), urgency: 'critical', timeoutType: 'never' });
      },
      lineName: (id) => (engine.lineIds().includes(id) ? engine.config(id).name : id),
      answer: (id) => void callService.dispatch('call:answer', [id]),
      decline: (id) => void callService.dispatch('call:decline', [id, 486]),
      showWindow: () => window.show(),
    });
    const callService: CallService = new CallService({
      calls: withBusAudio(calls as unknown as Parameters<typeof withBusAudio>[0], media),
      feed,
      history: new CallHistoryRepository(callStore, (message) => notices.push({ level: 'warning', message })),
      emit,
      lineIds: () => engine.lineIds(),
      pageReady: () => pageLoaded,
      onIncoming: (call, phone) => {
        callNotifier.ringing(call);
        if (phone.raiseOnIncoming) window.show();
      },
      onMissedChanged: (missed) => {
        trayStatus.setMissedCalls(missed);
        tray.changed();
      },
    });
    const offCallNotices = calls.on('call', (call) => callNotifier.changed(call));
    trayStatus.setMissedCalls(callService.missedUnseen);
    openLink = (link) => {
      window.show();
      callService.openLink(link);
    };
    earlyLinks.splice(0).forEach((link) => openLink(link));
    const commands = routeMediaCommands(media, routeCommands(service, callService));
    const removeHandlers = registerCommandHandlers({
      ipc: ipcMain,
      dispatch: (name, args) => commands.dispatch(name, args),
      verifySender: (event) => checkSender(event, window.contents()?.id ?? null),
      log,
    });

    const stopWake = watchForWake({
      clock,
      monotonic: () => performance.now(),
      powerMonitor,
      readAddresses: () => routableAddresses(networkInterfaces()),
      trigger: new ReRegisterTrigger({ clock, reRegisterAll: (reason) => engine.reRegisterAll(reason), log }),
    });
    const updates = setupAutoUpdate({
      isPackaged: app.isPackaged,
      channel: updateChannel(app.getVersion()),
      notify: (message) => notices.push({ level: 'info', message }),
      confirmRestart: () => confirmRestartForUpdate(window.browserWindow()),
    });
    Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(
      { quit: () => app.quit(), checkForUpdates: () => void updates.checkNow(), showWindow: () => window.show() },
      { isMac: process.platform === 'darwin', devTools },
    )));

    teardown = () => {
      stopWake();
      updates.dispose();
      policy.dispose();
      tray.destroy();
      offLine();
      offRemoved();
      removeHandlers();
      offCallNotices();
      callNotifier.dispose();
      callService.dispose();
      media.dispose();
      service.dispose();
      void diagnostics.close();
    };
    // Quitting may have been asked for while starting: then nothing more starts.
    if (quit.quitting) return teardown();
    service.start();
    void diagnostics.apply(repository.loadSettings());
    window.show();
  }).catch((error: Error) => {
    log(`start-up failed: ${error.stack ?? error.message}`);
    quit.request('startup-failed');
  });
}

/** The call history on electron-store; if it cannot be opened, memory, and the person is told. */
async function openCallStore(notify: (message: string) => void): Promise<CallDocumentStore> {
  try {
    return await openElectronCallStore(app.getPath('userData'), notify);
  } catch (error) {
    notify(`The call history cannot be stored: ${(error as Error).message}. It lasts until Trunkline quits.`);
    return new MemoryCallDocumentStore();
  }
}

/** The electron-store repository; if the settings folder is unusable, memory, and the person is told. */
async function openRepository(notify: (notice: { level: 'info' | 'warning' | 'error'; message: string }) => void): Promise<LineRepository> {
  try {
    const file = await openElectronDocumentFile(app.getPath('userData'));
    return ElectronLineRepository.open({ file, cipher: safeStorageCipher(safeStorage, process.platform), clock, notify });
  } catch (error) {
    notify({ level: 'error', message: `Settings cannot be stored: ${(error as Error).message}. Changes last until Trunkline quits.` });
    return new MemoryLineRepository();
  }
}
