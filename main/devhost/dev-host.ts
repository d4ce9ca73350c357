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
import type { AppSettings } from '../../preload/contract';
import { DEFAULT_SETTINGS, MemoryLineRepository } from '../shell/line-repository';
import { LineService } from '../shell/line-service';
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
  readonly repository: MemoryLineRepository;
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

  const engine = options.engine ?? new SipEngine({ userAgent: 'Trunkline-devhost' });
  const repository = new MemoryLineRepository(options.lines ?? [], options.settings ?? DEFAULT_SETTINGS);
  // Links are never opened from the host: there is no person to confirm them.
  const service = new LineService(engine, repository, (event, payload) => bridge.broadcast(event, payload), async () => false);
  bridge.attach(service);
  service.start();

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await engine.shutdown(options.unregisterBoundMs);
      service.dispose();
      bridge.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());

  return { url: `${origin}/#token=${token}`, origin, port, token, policy, engine, service, repository, stop };
}
