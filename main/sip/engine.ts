/**
 * The SIP engine: every line, its live snapshot, its bounded history and SIP trace. Plain Node —
 * the headless monitor, the tests and Electron's main process all drive this one class.
 */
import type { DnsConfig } from '../../common/dns-config';
import type { LineConfig } from '../../common/line-config';
import type { LineHistoryEntry, LineSnapshot, TraceEntry } from '../../common/line-status';
import type { Clock, Random } from './clock';
import { systemClock, systemRandom } from './clock';
import { JsSipChannel } from './jssip-channel';
import { LineController } from './line-controller';
import { ServerLocator } from './server-locator';
import type { ServerChannel } from './server-channel';
import type { ServerLink } from './server-link';
import { BoundedLog, maskCredentials } from './sip-trace';
import type { TraceRecord } from './transport/sip-socket';

export const DEFAULT_UNREGISTER_BOUND_MS = 3_000;

export interface EngineOptions {
  clock?: Clock;
  random?: Random;
  /** Sent as User-Agent. */
  userAgent?: string;
  historyCapacity?: number;
  traceCapacity?: number;
  /**
   * DNS servers for RFC 3263 server location (monitor file `dns`, desktop setting); default: the
   * system's resolvers. A host name without a port is located by NAPTR → SRV → A/AAAA.
   */
  dns?: DnsConfig;
  /**
   * Called for every SIP message the engine traces (sent or received, any line, calls included),
   * with the line's verbatim secrets so the sink can mask them as the trace does (HEP export).
   * The record's text is unmasked: a sink must mask it unless told otherwise. Never throws into
   * the engine (a failing sink is ignored).
   */
  traceSink?: (record: TraceRecord, lineSecrets: readonly string[]) => void;
  /**
   * Called once per finished REGISTER/OPTIONS client transaction of any line (a digest challenge
   * ends one; its retry is the next): final code, `timeout` or `transport-error`, and the round
   * trip in ms (null without a response). Metrics; never throws into the engine.
   */
  registrationObserver?: (observation: RegistrationObservation) => void;
  /** Replaces the JsSIP channel (tests of the engine's own bookkeeping). */
  createChannel?: (line: LineConfig, serverIndex: number, onTrace: (record: TraceRecord) => void) => ServerChannel;
}

/** One finished REGISTER/OPTIONS transaction (`EngineOptions.registrationObserver`). */
export interface RegistrationObservation {
  /** Line id. */
  line: string;
  /** Server index, 0 = primary. */
  server: number;
  method: 'REGISTER' | 'OPTIONS';
  outcome: number | 'timeout' | 'transport-error';
  /** Request sent → final response, ms; null when none came. */
  rttMs: number | null;
}

type Listener<T> = (value: T) => void;

interface LineEntry {
  config: LineConfig;
  controller: LineController;
  history: BoundedLog<LineHistoryEntry>;
  trace: BoundedLog<TraceEntry>;
}

export class SipEngine {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly lines = new Map<string, LineEntry>();
  private readonly lineListeners = new Set<Listener<LineSnapshot>>();
  private readonly historyListeners = new Set<Listener<LineHistoryEntry>>();
  private readonly removedListeners = new Set<Listener<string>>();
  private readonly linkListeners = new Set<Listener<{ line: string; server: number; link: ServerLink }>>();
  /** One locator for every line, so a name is asked once per TTL (replaced by `setDns`). */
  private dns: { locator: ServerLocator; custom: boolean };

  constructor(private readonly options: EngineOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.dns = this.locatorFor(options.dns);
  }

  /**
   * Sets the DNS servers used to locate servers (the desktop setting): cached answers are dropped
   * and every server entry is located with them the next time it is (re)started or its TTL runs out.
   */
  setDns(config: DnsConfig): void {
    this.dns.locator.clear();
    this.dns = this.locatorFor(config);
  }

  private locatorFor(config: DnsConfig | undefined): { locator: ServerLocator; custom: boolean } {
    const servers = config?.servers ?? [];
    return { locator: new ServerLocator({ servers, clock: this.clock, random: this.random }), custom: servers.length > 0 };
  }

  /** Every change of a line's snapshot. Returns an unsubscribe function. */
  onLine(listener: Listener<LineSnapshot>): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  /** Every state transition or notable event of any line. */
  onHistory(listener: Listener<LineHistoryEntry>): () => void {
    this.historyListeners.add(listener);
    return () => this.historyListeners.delete(listener);
  }

  /** A line was removed (after its unregister). */
  onRemoved(listener: Listener<string>): () => void {
    this.removedListeners.add(listener);
    return () => this.removedListeners.delete(listener);
  }

  /**
   * A JsSIP UA (ServerLink) was created for server `server` of line `line` (lazily, when the line
   * first needs that server; again after `updateLine`). The call manager attaches its incoming-call
   * listener here, on every UA of every line. Subscribe before adding lines.
   */
  onLink(listener: Listener<{ line: string; server: number; link: ServerLink }>): () => void {
    this.linkListeners.add(listener);
    return () => this.linkListeners.delete(listener);
  }

  /** Adds a line and starts registering it (unless it is configured disabled). */
  addLine(config: LineConfig): LineSnapshot {
    if (this.lines.has(config.id)) throw new Error(`line "${config.id}" already exists`);
    return this.startLine(config, new BoundedLog<LineHistoryEntry>(this.options.historyCapacity ?? 200));
  }

  private startLine(config: LineConfig, history: BoundedLog<LineHistoryEntry>): LineSnapshot {
    const trace = new BoundedLog<TraceEntry>(this.options.traceCapacity ?? 500);
    const secrets = config.password ? [config.password] : [];
    const traceOf = (serverIndex: number) => (record: TraceRecord) => {
      trace.push({
        time: record.time,
        line: config.id,
        server: serverIndex,
        direction: record.direction,
        retransmission: record.retransmission,
        text: maskCredentials(record.text, secrets),
      });
      try {
        this.options.traceSink?.(record, secrets);
      } catch {
        // An exporter's failure must never break signalling.
      }
    };
    const controller = new LineController(config, {
      clock: this.clock,
      random: this.random,
      createChannel: (index) => {
        const channel =
          this.options.createChannel?.(config, index, traceOf(index)) ??
          new JsSipChannel({
            line: config,
            serverIndex: index,
            clock: this.clock,
            random: this.random,
            userAgent: this.options.userAgent ?? 'Trunkline',
            onTrace: traceOf(index),
            onTransaction: (o) => this.options.registrationObserver?.({ line: config.id, server: index, ...o }),
            dns: () => this.dns,
            // A located server entry moves to another target over a new UA: announced like the first.
            onLink: (link) => this.linkListeners.forEach((l) => l({ line: config.id, server: index, link })),
          });
        const link = channel.link();
        if (link) this.linkListeners.forEach((l) => l({ line: config.id, server: index, link }));
        return channel;
      },
    });
    controller.on('change', (snapshot) => this.lineListeners.forEach((l) => l(snapshot)));
    controller.on('history', (entry) => {
      history.push(entry);
      this.historyListeners.forEach((l) => l(entry));
    });
    this.lines.set(config.id, { config, controller, history, trace });
    controller.start();
    return controller.snapshot();
  }

  /** Unregisters (bounded) and forgets a line. */
  async removeLine(id: string, boundMs = DEFAULT_UNREGISTER_BOUND_MS): Promise<void> {
    const entry = this.require(id);
    await entry.controller.stop('unregistered', 'line removed', boundMs);
    entry.controller.dispose();
    this.lines.delete(id);
    this.removedListeners.forEach((l) => l(id));
  }

  /** Replaces a line's configuration: the old registration is removed, the new one starts. */
  async updateLine(config: LineConfig, boundMs = DEFAULT_UNREGISTER_BOUND_MS): Promise<LineSnapshot> {
    const old = this.require(config.id);
    await old.controller.stop('unregistered', 'configuration changed', boundMs);
    old.controller.dispose();
    this.lines.delete(config.id);
    // The history carries on across edits: it is the story of the line, not of one config.
    return this.startLine(config, old.history);
  }

  async setLineEnabled(id: string, enabled: boolean, boundMs = DEFAULT_UNREGISTER_BOUND_MS): Promise<LineSnapshot> {
    const entry = this.require(id);
    if (enabled === entry.config.enabled) return entry.controller.snapshot();
    return this.updateLine({ ...entry.config, enabled }, boundMs);
  }

  /** Network change or resume from sleep: every line re-registers promptly. */
  reRegisterAll(reason: string): void {
    for (const entry of this.lines.values()) entry.controller.reRegisterNow(reason);
  }

  /**
   * The JsSIP UA (ServerLink) of server `serverIndex` (0 = primary) of line `id`, for calls through
   * that server; null when the engine runs on scripted channels. Throws for an unknown line or
   * server index.
   */
  link(id: string, serverIndex: number): ServerLink | null {
    return this.require(id).controller.link(serverIndex);
  }

  /** Index of the server line `id` is registered on, or null when it is not registered. */
  activeServer(id: string): number | null {
    return this.require(id).controller.activeServer();
  }

  /**
   * Resolves with the active server's index once line `id` is registered; a line waiting to retry
   * tries now. Rejects with an Error (state and reason) on failure, stop, or after `timeoutMs`.
   */
  whenRegistered(id: string, timeoutMs: number): Promise<number> {
    return this.require(id).controller.whenRegistered(timeoutMs);
  }

  /**
   * Server `serverIndex` of line `id` is unavailable (INVITE failover): the line fails over to the
   * next server at once, or waits to retry after the last — as if its REGISTER had failed so.
   */
  reportServerUnavailable(id: string, serverIndex: number, cause: string | { code: number; reason: string }): void {
    this.require(id).controller.reportServerUnavailable(serverIndex, cause);
  }

  snapshots(): LineSnapshot[] {
    return [...this.lines.values()].map((e) => e.controller.snapshot());
  }

  snapshot(id: string): LineSnapshot {
    return this.require(id).controller.snapshot();
  }

  config(id: string): LineConfig {
    return this.require(id).config;
  }

  lineIds(): string[] {
    return [...this.lines.keys()];
  }

  history(id: string): LineHistoryEntry[] {
    return this.require(id).history.toArray();
  }

  trace(id: string): TraceEntry[] {
    return this.require(id).trace.toArray();
  }

  /**
   * Quit: every line sends Expires:0 to every server holding a binding, all in parallel, and this
   * resolves within `boundMs` (plus a moment) however silent the servers are.
   */
  async shutdown(boundMs = DEFAULT_UNREGISTER_BOUND_MS): Promise<void> {
    const entries = [...this.lines.values()];
    // One deadline for all: starting thousands of unregisters takes time of its own, which must
    // not push the last line's bound past the caller's.
    const deadline = this.clock.now() + boundMs;
    await Promise.allSettled(entries.map((e) => e.controller.stop('unregistered', 'shutdown', Math.max(0, deadline - this.clock.now()))));
    // Closing thousands of sockets takes a moment the caller (often a quitting process) should not
    // wait for: it happens right after this resolves.
    this.clock.setTimer(() => entries.forEach((e) => e.controller.dispose()), 0);
  }

  private require(id: string): LineEntry {
    const entry = this.lines.get(id);
    if (!entry) throw new Error(`no line "${id}"`);
    return entry;
  }
}
