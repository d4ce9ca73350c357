import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LineHistoryEntry, LineSnapshot } from '../../../common/line-status';
import { exposeEngineMetrics } from '../../../main/monitoring/engine-metrics-endpoint';
import { createMonitorLogger } from '../../../main/monitoring/monitor-logger';

/** A stand-in for SipEngine's event API: lines pushed by hand. */
class LineSource {
  lines: LineSnapshot[] = [];
  private readonly listeners = new Set<(s: LineSnapshot) => void>();
  onLine(l: (s: LineSnapshot) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  onHistory(_l: (e: LineHistoryEntry) => void) {
    return () => undefined;
  }
  onRemoved(_l: (id: string) => void) {
    return () => undefined;
  }
  snapshots() {
    return this.lines;
  }
  push(s: LineSnapshot) {
    this.listeners.forEach((l) => l(s));
  }
}

const snapshot = (state: LineSnapshot['state']): LineSnapshot => ({
  id: 'desk-1', name: 'Desk', state, server: state === 'registered' ? 0 : null, serverLabel: null, code: 200, reason: 'OK', expires: 600,
  nextRefreshAt: null, nextRetryAt: null, nextFailbackAt: null, nextLivenessAt: null, consecutiveFailures: 0, livenessRttMs: null, since: 0, bindings: [],
});

describe('exposeEngineMetrics (the desktop app setting’s API)', () => {
  it('serves the lines of an engine on loopback, follows changes, and closes', async () => {
    const source = new LineSource();
    source.lines = [snapshot('registering')];
    const exposed = await exposeEngineMetrics(source, { port: 0 });
    expect(exposed.endpoint.address.host).toBe('127.0.0.1');
    const url = `http://127.0.0.1:${exposed.endpoint.address.port}/metrics`;
    expect(await (await fetch(url)).text()).toContain('trunkline_line_registered{line="desk-1"} 0');
    source.push(snapshot('registered'));
    expect(await (await fetch(url)).text()).toContain('trunkline_line_registered{line="desk-1"} 1');
    await exposed.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('monitor logger', () => {
  it('writes NDJSON with level names and masks password, authorization and token fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trunkline-log-'));
    const path = join(dir, 'log.ndjson');
    const fd = openSync(path, 'w');
    const log = createMonitorLogger('info', fd);
    log.debug('not at info');
    log.info({ line: { id: 'a', password: 'hunter2' }, authorization: 'Digest response="abc"', token: 't0k' }, 'hello');
    log.flush();
    closeSync(fd);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'hello', line: { id: 'a', password: '<masked>' }, authorization: '<masked>', token: '<masked>' });
    expect(readFileSync(path, 'utf8')).not.toContain('hunter2');
  });
});
