import { describe, expect, it } from 'vitest';
import { parseMonitorFile } from '../../../common/line-config';
import { loadMonitorConfig } from '../../../main/monitoring/monitor-config';

const line = (fields: Record<string, unknown> = {}) => ({ id: 'a', username: '1001', domain: 'example.net', servers: [{ host: '10.0.0.1' }], ...fields });

function sources(files: Record<string, string>, env: Record<string, string> = {}) {
  return {
    env,
    readFile: (path: string) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
      return files[path]!;
    },
  };
}

describe('monitor file: dns and password sources', () => {
  it('passes "dns" through, parsed; absent means the system resolvers', () => {
    const withDns = parseMonitorFile({ lines: [line({ password: 'x' })], dns: { servers: ['127.0.0.1:5353'] } });
    expect(withDns.ok && withDns.value.dns).toEqual({ servers: ['127.0.0.1:5353'] });
    const without = parseMonitorFile({ lines: [line()] });
    expect(without.ok && without.value.dns).toEqual({ servers: [] });
  });

  it('a bad dns entry and an unknown top-level field are named', () => {
    const parsed = parseMonitorFile({ lines: [line()], dns: { servers: ['nameserver'] }, extra: 1 });
    expect(parsed.ok).toBe(false);
    const paths = parsed.ok ? [] : parsed.errors.map((e) => `${e.path}: ${e.message}`);
    expect(paths.some((p) => p.startsWith('dns.servers[0]: must be an IPv4 address'))).toBe(true);
    expect(paths).toContain('extra: is not a known field (known: lines, dns)');
  });

  it.each([
    [{ password: 'x', passwordFile: 'p' }, 'lines[0].passwordFile: must not be given together with "password"'],
    [{ passwordFile: 'p', passwordEnv: 'P' }, 'lines[0].passwordEnv: must not be given together with "passwordFile"'],
    [{ passwordEnv: '1BAD' }, 'lines[0].passwordEnv: must be an environment variable name'],
    [{ passwordFile: '' }, 'lines[0].passwordFile: must be the path of a file'],
  ])('%o is refused: %s', (fields, message) => {
    const parsed = parseMonitorFile({ lines: [line(fields)] });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.errors.map((e) => `${e.path}: ${e.message}`).join('\n')).toContain(message);
  });

  it('passwordFile is read relative to the config file, its trailing line break dropped', () => {
    const loaded = loadMonitorConfig('/etc/trunkline/monitor.json', sources({
      '/etc/trunkline/monitor.json': JSON.stringify({ lines: [line({ passwordFile: 'secrets/a.txt' })] }),
      '/etc/trunkline/secrets/a.txt': 'from-file\n',
    }));
    expect(loaded.ok && loaded.value.lines[0]!.password).toBe('from-file');
  });

  it('passwordEnv is read from the environment', () => {
    const loaded = loadMonitorConfig('/c.json', sources({ '/c.json': JSON.stringify({ lines: [line({ passwordEnv: 'TRUNK_A' })] }) }, { TRUNK_A: 'from-env' }));
    expect(loaded.ok && loaded.value.lines[0]!.password).toBe('from-env');
  });

  it('a missing file, an unset variable and an empty file are field-named errors that never show a secret', () => {
    const loaded = loadMonitorConfig('/c.json', sources({
      '/c.json': JSON.stringify({ lines: [line({ passwordFile: 'nope.txt' }), line({ id: 'b', passwordEnv: 'UNSET' }), line({ id: 'c', passwordFile: 'empty' }), line({ id: 'd', passwordFile: 'two' })] }),
      '/empty': '',
      '/two': 'hunter2\nhunter3\n',
    }));
    expect(loaded.ok).toBe(false);
    const text = loaded.ok ? '' : loaded.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
    expect(text).toContain('lines[0].passwordFile: cannot read /nope.txt: ENOENT');
    expect(text).toContain('lines[1].passwordEnv: names the environment variable UNSET, which is not set or empty');
    expect(text).toContain('lines[2].passwordFile: /empty is empty');
    expect(text).toContain('lines[3].passwordFile: /two must hold one line');
    expect(text).not.toContain('hunter');
  });

  it('not JSON and unreadable files are reported as (file) errors', () => {
    const bad = loadMonitorConfig('/c.json', sources({ '/c.json': '{ nope' }));
    expect(bad.ok ? '' : bad.errors[0]!.message).toContain('is not valid JSON');
    const missing = loadMonitorConfig('/missing.json', sources({}));
    expect(missing.ok ? '' : missing.errors[0]!.message).toContain('cannot read /missing.json');
  });
});
