/**
 * Applies the diagnostics settings (diagnostics-settings.ts) to the running app, live: the
 * loopback `/metrics` endpoint is started, stopped or rebound, the HEP exporter created or closed.
 *
 * The engine is created once, before any setting is known, so it gets this object's `traceSink`
 * and `registrationObserver` for good; both forward to whatever exporter/metrics is on at the
 * moment of the call, and do nothing while it is off.
 *
 *   off ──apply(enabled)──▶ on(port) ──apply(other port)──▶ on(other port)
 *    ▲                         │
 *    └──────apply(disabled)────┘            (the same for HEP with its target and capture id)
 *
 * Changes are applied one after another, in the order made, so a quick on/off/on never leaves two
 * endpoints listening. A port that cannot be bound leaves the endpoint off and says why through
 * `notify`; the setting stays as the person chose it.
 */
import type { AppNotice, HepSetting, MetricsSetting } from '../../preload/contract';
import type { EngineMetrics } from '../monitoring/engine-metrics-endpoint';
import { exposeEngineMetrics } from '../monitoring/engine-metrics-endpoint';
import type { HepExporter, TraceSink } from '../monitoring/hep-exporter';
import { createHepExporter, parseHepTarget } from '../monitoring/hep-exporter';
import type { LineEventSource, RegistrationObserver } from '../monitoring/monitor-metrics';
import { METRICS_HOST } from './diagnostics-settings';

export interface DiagnosticsSettings {
  metrics: MetricsSetting;
  hep: HepSetting;
}

export interface DiagnosticsStatus {
  /** The port the endpoint listens on (always on 127.0.0.1), or null while off. */
  metricsPort: number | null;
  /** `udp:IP:PORT` HEP goes to, or null while off. */
  hepTarget: string | null;
}

export class DiagnosticsExports {
  private engine: LineEventSource | null = null;
  private metrics: { port: number; exposed: EngineMetrics } | null = null;
  private hep: { key: string; exporter: HepExporter } | null = null;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly notify: (notice: AppNotice) => void = () => {}) {}

  /** For `EngineOptions.traceSink`: each traced SIP message, to the HEP exporter when it is on. */
  readonly traceSink: TraceSink = (record, lineSecrets) => {
    this.hep?.exporter.exportRecord(record, lineSecrets);
  };

  /** For `EngineOptions.registrationObserver`: REGISTER/OPTIONS round trips, to the metrics when on. */
  readonly registrationObserver: RegistrationObserver = (observation) => {
    this.metrics?.exposed.metrics.observeRegistration(observation);
  };

  /** The engine the metrics follow; call once, before the first `apply`. */
  follow(engine: LineEventSource): void {
    this.engine = engine;
  }

  /** Brings the endpoint and the exporter in line with `settings`; resolves once done. Never rejects. */
  apply(settings: DiagnosticsSettings): Promise<void> {
    if (this.closed) return this.queue;
    const wanted = { metrics: { ...settings.metrics }, hep: { ...settings.hep } };
    this.queue = this.queue.then(() => this.reconcile(wanted));
    return this.queue;
  }

  /** Resolves once every change asked for so far has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  status(): DiagnosticsStatus {
    return {
      metricsPort: this.metrics?.exposed.endpoint.address.port ?? null,
      hepTarget: this.hep?.key.split(' ')[0] ?? null,
    };
  }

  /** Stops the endpoint and the exporter for good (quitting). */
  close(): Promise<void> {
    const done = this.apply({ metrics: { enabled: false, port: 0 }, hep: { enabled: false, target: '', captureId: 0 } });
    this.closed = true;
    return done;
  }

  private async reconcile(wanted: DiagnosticsSettings): Promise<void> {
    await this.reconcileMetrics(wanted.metrics);
    await this.reconcileHep(wanted.hep);
  }

  private async reconcileMetrics(wanted: MetricsSetting): Promise<void> {
    const current = this.metrics;
    if (current && wanted.enabled && current.port === wanted.port) return;
    if (current) {
      this.metrics = null;
      await current.exposed.close();
    }
    if (!wanted.enabled || !this.engine) return;
    try {
      this.metrics = { port: wanted.port, exposed: await exposeEngineMetrics(this.engine, { port: wanted.port, host: METRICS_HOST }) };
    } catch (error) {
      this.notify({ level: 'error', message: `The metrics endpoint cannot listen on ${METRICS_HOST}:${wanted.port}: ${(error as Error).message}. It stays off until the port is changed.` });
    }
  }

  private async reconcileHep(wanted: HepSetting): Promise<void> {
    const key = `${wanted.target} ${wanted.captureId}`;
    const current = this.hep;
    if (current && wanted.enabled && current.key === key) return;
    if (current) {
      this.hep = null;
      await current.exporter.close();
    }
    if (!wanted.enabled) return;
    try {
      this.hep = { key, exporter: createHepExporter({ target: parseHepTarget(wanted.target), captureId: wanted.captureId }) };
    } catch (error) {
      this.notify({ level: 'error', message: `HEP export cannot start: ${(error as Error).message}.` });
    }
  }
}
