/**
 * One call for any host of the engine (the headless monitor, the desktop app's setting) to expose
 * Prometheus metrics: metrics that follow the engine, served on `/metrics`, `/healthz`, `/readyz`.
 * Loopback by default; the caller passes another address only when a person asked for it.
 */
import type { MetricsAuth, MetricsEndpoint } from './metrics-server';
import { startMetricsEndpoint } from './metrics-server';
import type { LineEventSource } from './monitor-metrics';
import { MonitorMetrics } from './monitor-metrics';

export interface EngineMetricsOptions {
  /** TCP port; 0 lets the OS choose (read it back from `endpoint.address.port`). */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  auth?: MetricsAuth | null;
  /** /readyz answers 200 while this is true; default: always. */
  ready?: () => boolean;
}

export interface EngineMetrics {
  readonly metrics: MonitorMetrics;
  readonly endpoint: MetricsEndpoint;
  /** Stops following the engine and closes the endpoint. */
  close(): Promise<void>;
}

/**
 * Starts following `engine` and serving its metrics. Rejects (with nothing left open) when the
 * address cannot be bound.
 */
export async function exposeEngineMetrics(engine: LineEventSource, options: EngineMetricsOptions): Promise<EngineMetrics> {
  const metrics = new MonitorMetrics();
  const endpoint = await startMetricsEndpoint({
    host: options.host ?? '127.0.0.1',
    port: options.port,
    metrics: () => metrics.metrics(),
    contentType: metrics.registry.contentType,
    ready: options.ready ?? (() => true),
    auth: options.auth ?? null,
  });
  const detach = metrics.attach(engine);
  return {
    metrics,
    endpoint,
    close: async () => {
      detach();
      await endpoint.close();
    },
  };
}
