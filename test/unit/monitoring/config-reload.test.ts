import { describe, expect, it } from 'vitest';
import type { LineConfig } from '../../../common/line-config';
import { parseLineConfig } from '../../../common/line-config';
import { diffLineConfigs } from '../../../main/monitoring/config-diff';
import { ConfigReloader } from '../../../main/monitoring/config-reloader';
import type { MonitorConfig } from '../../../main/monitoring/monitor-config';

function line(id: string, fields: Record<string, unknown> = {}): LineConfig {
  const parsed = parseLineConfig({ id, username: '1001', password: 'pw', domain: 'example.net', servers: [{ host: '10.0.0.1' }], ...fields });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

describe('reload diff', () => {
  it('sorts lines into added, removed, changed and unchanged by id, deep-equal on the parsed config', () => {
    const running = [line('keep'), line('drop'), line('edit'), line('pw')];
    const next = [line('keep'), line('edit', { retryDelay: 90 }), line('new'), line('pw', { password: 'rotated' })];
    const diff = diffLineConfigs(running, next);
    expect(diff.added.map((l) => l.id)).toEqual(['new']);
    expect(diff.removed).toEqual(['drop']);
    expect(diff.changed.map((l) => l.id)).toEqual(['edit', 'pw']);
    expect(diff.unchanged).toEqual(['keep']);
  });

  it('defaults written out or left out are the same config; key order does not matter', () => {
    const a = line('x', { retryDelay: 60, liveness: { interval: 60 } });
    const b = parseLineConfig({ servers: [{ host: '10.0.0.1' }], domain: 'example.net', password: 'pw', username: '1001', id: 'x' });
    expect(b.ok && diffLineConfigs([a], [b.value]).unchanged).toEqual(['x']);
  });

  it('a change of testCall only leaves the line unchanged for the engine (no re-registration)', () => {
    const before = line('t', { testCall: { to: '1002', every: 60 } });
    const after = line('t', { testCall: { to: '1003', every: 120 } });
    expect(diffLineConfigs([before], [after]).unchanged).toEqual(['t']);
    expect(diffLineConfigs([before], [line('t')]).unchanged).toEqual(['t']);
    expect(diffLineConfigs([before], [line('t', { testCall: { to: '1002', every: 60 }, retryDelay: 90 })]).changed.map((l) => l.id)).toEqual(['t']);
  });

  it('the same file twice changes nothing', () => {
    const lines = [line('a'), line('b')];
    expect(diffLineConfigs(lines, lines.map((l) => structuredClone(l)))).toEqual({ added: [], removed: [], changed: [], unchanged: ['a', 'b'] });
  });
});

describe('ConfigReloader', () => {
  function setup(initial: LineConfig[], dnsNext: { servers: string[] } = { servers: [] }) {
    const calls: string[] = [];
    const logs: { level: string; fields: unknown; msg: string }[] = [];
    const engine = {
      addLine: (config: LineConfig) => (calls.push(`add ${config.id}`), undefined as never),
      removeLine: async (id: string) => void calls.push(`remove ${id}`),
      updateLine: async (config: LineConfig) => (calls.push(`update ${config.id}`), undefined as never),
      setDns: (dns: { servers: string[] }) => void calls.push(`dns ${dns.servers.join(',')}`),
    };
    let next: ReturnType<ConfigReloader['lines']> | null = null;
    let errors: { path: string; message: string }[] | null = null;
    const log = (level: string) => (fields: unknown, msg?: string) => void logs.push({ level, fields, msg: msg ?? String(fields) });
    const reloader = new ConfigReloader({
      engine,
      initial: { lines: initial, dns: { servers: [] } },
      load: () => (errors ? { ok: false, errors } : { ok: true, value: { lines: [...(next ?? [])], dns: dnsNext } as MonitorConfig }),
      unregisterBoundMs: 1000,
      beforeApply: async (config: MonitorConfig, diff: { removed: string[] }) => void calls.push(`before ${config.lines.length} -${diff.removed.join(',')}`),
      log: { info: log('info'), warn: log('warn'), error: log('error') } as never,
    });
    return { calls, logs, reloader, setNext: (l: LineConfig[]) => (next = l), setErrors: (e: typeof errors) => (errors = e) };
  }

  it('applies only the difference and never touches an unchanged line', async () => {
    const t = setup([line('keep'), line('drop'), line('edit')]);
    t.setNext([line('keep'), line('edit', { expiryMode: 'fixed' }), line('new')]);
    const outcome = await t.reloader.reload();
    expect(outcome.ok).toBe(true);
    expect(t.calls.sort()).toEqual(['add new', 'before 3 -drop', 'remove drop', 'update edit']);
    expect(t.reloader.lines().map((l) => l.id)).toEqual(['keep', 'edit', 'new']);
  });

  it('an invalid file is refused whole: nothing applied, errors logged by field, running set kept', async () => {
    const t = setup([line('keep')]);
    t.setErrors([{ path: 'lines[1].servers[0].port', message: 'must be an integer from 1 to 65535 (got 0)' }]);
    const outcome = await t.reloader.reload();
    expect(outcome).toEqual({ ok: false, errors: ['lines[1].servers[0].port: must be an integer from 1 to 65535 (got 0)'] });
    expect(t.calls).toEqual([]);
    expect(t.logs.at(-1)).toMatchObject({ level: 'error', fields: { errors: ['lines[1].servers[0].port: must be an integer from 1 to 65535 (got 0)'] } });
    expect(t.reloader.lines().map((l) => l.id)).toEqual(['keep']);
  });

  it('two reloads in a row run one after the other; the second sees the first applied', async () => {
    const t = setup([line('a')]);
    t.setNext([line('a'), line('b')]);
    const first = t.reloader.reload();
    const second = t.reloader.reload();
    await Promise.all([first, second]);
    expect(t.calls).toEqual(['before 2 -', 'add b', 'before 2 -']);
  });

  it('beforeApply runs before any line changes; a new "dns" setting is applied to the engine', async () => {
    const t = setup([line('a'), line('gone')], { servers: ['127.0.0.53'] });
    t.setNext([line('a')]);
    await t.reloader.reload();
    expect(t.calls).toEqual(['before 1 -gone', 'remove gone', 'dns 127.0.0.53']);
    // Applied once: the same setting again changes nothing.
    await t.reloader.reload();
    expect(t.calls.slice(3)).toEqual(['before 1 -']);
  });
});
