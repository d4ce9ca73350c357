/**
 * The development and test host: the real engine and LineService under plain Node, the built
 * renderer over HTTP on 127.0.0.1 with the app's CSP, and the bridge contract over a loopback
 * WebSocket guarded by a random token. It stands in for the Electron shell where Electron cannot
 * run (tests, CI, this machine); the packaged app never starts it. Never imports electron.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { LineConfig } from '../../common/line-config';
import type { AppSettings, EventMap } from '../../preload/contract';
import type { CallDocumentStore } from '../shell/call-history';
import { CallHistoryRepository, JsonFileCallDocumentStore, MemoryCallDocumentStore } from '../shell/call-history';
import { CallService, callFeedOf } from '../shell/call-service';
import { routeCommands } from '../shell/command-router';
import { MediaService, routeMediaCommands, sharedMediaHost, withBusAudio } from '../shell/media-service';
import { DiagnosticsExports } from '../shell/diagnostics-exports';
import { DEFAULT_SETTINGS, MemoryLineRepository } from '../shell/line-repository';
import type { EventSink } from '../shell/line-service';
import { LineService } from '../shell/line-service';
import type { CallManagerOptions } from '../sip/calls/call-manager';
import { CallManager } from '../sip/calls/call-manager';
import { SipEngine } from '../sip/engine';
import { SocketBridge } from './socket-bridge';
import { createStaticHandler } from './static-files';

/** The repository root, whether this runs from source (tsx) or compiled into out/. */
const ROOT = ((up) => (basename(up) === 'out' ? dirname(up) : up))(join(__dirname, '..', '..'));
export const DEFAULT_RENDERER_DIR = join(ROOT, 'out', 'renderer');

export interface DevHostOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Lines to start with (e.g. from a monitor config file). */
  lines?: LineConfig[];
  settings?: AppSettings;
  /** Replaces the engine, e.g. one with synthetic channels for the renderer benchmark. */
  engine?: SipEngine;
  /** The built renderer; default out/renderer. */
  rendererDir?: string;
  /** How long stop() waits for REGISTER Expires:0 answers. */
  unregisterBoundMs?: number;
  /**
   * Where the call history and phone settings are kept (`<dataDir>/calls.json`), so they survive a
   * restart of the host; absent = memory only.
   */
  dataDir?: string;
  /** Options of the engine's CallManager (tests shorten timeouts). */
  calls?: CallManagerOptions;
}

export interface DevHost {
  /** Open this in the browser: it carries the token in its fragment. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  readonly policy: string;
  readonly engine: SipEngine;
  readonly service: LineService;
  readonly calls: CallManager;
  readonly callService: CallService;
  readonly repository: MemoryLineRepository;
  /** The metrics endpoint and HEP exporter as the settings have them. */
  readonly diagnostics: DiagnosticsExports;
  /** Unregisters every line (bounded), closes the bridge and the HTTP server. */
  stop(): Promise<void>;
}

export async function startDevHost(options: DevHostOptions = {}): Promise<DevHost> {
  const { policy, handle } = await createStaticHandler(options.rendererDir ?? DEFAULT_RENDERER_DIR);
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const token = randomBytes(24).toString('base64url');
  const bridge = new SocketBridge(server, {
    token,
    origins: [origin, `http://localhost:${port}`],
    hosts: [`127.0.0.1:${port}`, `localhost:${port}`],
  });

  // The engine is made once; the diagnostics settings (metrics, HEP) come and go behind these hooks.
  // An engine passed in (the benchmarks') has no hooks: its metrics come from snapshots only.
  const diagnostics = new DiagnosticsExports((notice) => bridge.broadcast('app:notice', notice));
  const engine = options.engine ?? new SipEngine({
    userAgent: 'Trunkline-devhost',
    traceSink: diagnostics.traceSink,
    registrationObserver: diagnostics.registrationObserver,
  });
  diagnostics.follow(engine);
  const repository = new MemoryLineRepository(options.lines ?? [], options.settings ?? DEFAULT_SETTINGS);
  // Links are never opened from the host: there is no person to confirm them.
  const emit: EventSink = (event, payload) => {
    if (event === 'settings:changed') void diagnostics.apply(payload as EventMap['settings:changed']);
    bridge.broadcast(event, payload);
  };
  const service = new LineService(engine, repository, emit, async () => false);
  // The CallManager listens for each line's user agents, so it exists before any line starts.
  // One media host for the calls' trunk legs and the page's audio bus (the relay joins them).
  const mediaHost = sharedMediaHost(options.calls?.mediaHost);
  const calls = new CallManager(engine, { ...options.calls, mediaHost: mediaHost.get });
  const media = new MediaService({ host: mediaHost.get, feed: callFeedOf(calls), emit });
  const store: CallDocumentStore = options.dataDir
    ? new JsonFileCallDocumentStore(join(options.dataDir, 'calls.json'), (message) => process.stderr.write(`${message}\n`))
    : new MemoryCallDocumentStore();
  const callService = new CallService({
    // Calls dialled or answered from the page use a free audio-bus transceiver when the page opened the bus.
    calls: withBusAudio(calls as unknown as Parameters<typeof withBusAudio>[0], media),
    feed: callFeedOf(calls),
    history: new CallHistoryRepository(store, (message) => process.stderr.write(`${message}\n`)),
    emit,
    lineIds: () => engine.lineIds(),
    pageReady: () => bridge.clientCount > 0,
  });
  bridge.attach(routeMediaCommands(media, routeCommands(service, callService)));
  service.start();
  await diagnostics.apply(repository.loadSettings());

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await calls.shutdown(Math.min(3_000, options.unregisterBoundMs ?? 3_000));
      await engine.shutdown(options.unregisterBoundMs);
      callService.dispose();
      media.dispose();
      await mediaHost.stop();
      service.dispose();
      await diagnostics.close();
      bridge.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());

  return { url: `${origin}/#token=${token}`, origin, port, token, policy, engine, service, calls, callService, repository, diagnostics, stop };
}
