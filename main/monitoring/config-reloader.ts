/**
 * Service mode's reload (SIGHUP): re-read the config file and apply only the difference. New lines
 * are added (they register), removed lines removed (they unregister), changed lines updated (they
 * re-register with the new config), and identical lines are not touched at all. A file with any
 * error is refused whole: its field-named errors are logged and the running set stays.
 *
 * Reloads run one at a time, in order: a second SIGHUP during a reload waits for the first.
 */
import type { LineConfig } from '../../common/line-config';
import type { ParseResult } from '../../common/schema';
import type { SipEngine } from '../sip/engine';
import type { ConfigDiff } from './config-diff';
import { diffLineConfigs } from './config-diff';
import type { MonitorConfig } from './monitor-config';
import type { MonitorLogger } from './monitor-logger';

export interface ConfigReloaderOptions {
  engine: Pick<SipEngine, 'addLine' | 'removeLine' | 'updateLine'> & Partial<Pick<SipEngine, 'setDns'>>;
  /** The config the engine runs now. */
  initial: MonitorConfig;
  /** Reads and validates the file again. */
  load(): ParseResult<MonitorConfig>;
  unregisterBoundMs: number;
  log: Pick<MonitorLogger, 'info' | 'warn' | 'error'>;
  /**
   * Called with a valid new config before the engine changes (the test-call schedules: a removed
   * or changed line's running test call is hung up before its line goes).
   */
  beforeApply?: (next: MonitorConfig, diff: ConfigDiff) => Promise<void>;
}

/** What one reload did: the diff applied, or the errors that refused the file. */
export type ReloadOutcome = { ok: true; diff: ConfigDiff } | { ok: false; errors: string[] };

export class ConfigReloader {
  private running: MonitorConfig;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ConfigReloaderOptions) {
    this.running = options.initial;
  }

  /** The lines the engine runs (after the last successful reload). */
  lines(): readonly LineConfig[] {
    return this.running.lines;
  }

  /** Queues one reload; resolves with what it did. */
  reload(): Promise<ReloadOutcome> {
    const next = this.queue.then(() => this.apply());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Resolves once no reload is running (quitting waits for it, so no line is half-applied). */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private async apply(): Promise<ReloadOutcome> {
    const { engine, log, unregisterBoundMs } = this.options;
    const loaded = this.options.load();
    if (!loaded.ok) {
      const errors = loaded.errors.map((e) => `${e.path}: ${e.message}`);
      log.error({ errors }, `reload refused: the config file has ${errors.length} error(s); the running lines are kept`);
      return { ok: false, errors };
    }
    const diff = diffLineConfigs(this.running.lines, loaded.value.lines);
    await this.options.beforeApply?.(loaded.value, diff).catch((error: unknown) => log.warn({ error: (error as Error).message }, 'reload: stopping test calls failed'));
    // Removals first: a line renamed to a new id must not hold two registrations at once.
    const results = await Promise.allSettled([
      ...diff.removed.map((id) => engine.removeLine(id, unregisterBoundMs)),
      ...diff.changed.map((line) => engine.updateLine(line, unregisterBoundMs)),
    ]);
    for (const line of diff.added) engine.addLine(line);
    for (const failure of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      log.warn({ error: (failure.reason as Error).message }, 'reload: a line did not stop cleanly');
    }
    let dns = this.running.dns;
    if (JSON.stringify(loaded.value.dns) !== JSON.stringify(this.running.dns)) {
      if (engine.setDns) {
        // Cached answers are dropped; each server is located with the new resolvers when next (re)started.
        engine.setDns(loaded.value.dns);
        dns = loaded.value.dns;
        log.info({ dnsServers: loaded.value.dns.servers }, 'reload: the "dns" setting changed');
      } else log.warn({ dnsServers: loaded.value.dns.servers }, 'reload: the "dns" setting changed; it applies when the monitor restarts');
    }
    this.running = { lines: loaded.value.lines, dns };
    log.info(
      { added: diff.added.map((l) => l.id), removed: diff.removed, changed: diff.changed.map((l) => l.id), unchanged: diff.unchanged.length },
      'config reloaded',
    );
    return { ok: true, diff };
  }
}
