/**
 * Loading the monitor's config file: JSON → `parseMonitorFile` → passwords resolved from
 * `passwordFile` (relative to the config file) or `passwordEnv`. Every problem comes back as a
 * field-named error; a password never appears in one.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LineConfig } from '../../common/line-config';
import { parseMonitorFile } from '../../common/line-config';
import type { DnsConfig } from '../../common/dns-config';
import type { FieldError, ParseResult } from '../../common/schema';

/** A loaded, valid config: lines with their passwords, and the resolver setting. */
export interface MonitorConfig {
  lines: LineConfig[];
  dns: DnsConfig;
}

/** Where files and variables come from (tests pass their own). */
export interface ConfigSources {
  readFile(path: string): string;
  env: Readonly<Record<string, string | undefined>>;
}

const systemSources: ConfigSources = { readFile: (path) => readFileSync(path, 'utf8'), env: process.env };

/** The largest password file read: a password, not a log file by mistake. */
const MAX_PASSWORD_FILE_BYTES = 4096;

/**
 * Reads and validates `path`. Errors read `(file): cannot read …`, `(file): not valid JSON: …` or
 * `lines[2].passwordEnv: …`, like the schema's own.
 */
export function loadMonitorConfig(path: string, sources: ConfigSources = systemSources): ParseResult<MonitorConfig> {
  let text: string;
  try {
    text = sources.readFile(path);
  } catch (error) {
    return { ok: false, errors: [{ path: '(file)', message: `cannot read ${path}: ${(error as Error).message}` }] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [{ path: '(file)', message: `${path} is not valid JSON: ${(error as Error).message}` }] };
  }
  const parsed = parseMonitorFile(json);
  if (!parsed.ok) return parsed;
  const errors: FieldError[] = [];
  const lines = parsed.value.lines.map((line, i): LineConfig => {
    const source = parsed.value.passwordSources[line.id];
    if (!source) return line;
    if (source.kind === 'env') {
      const value = sources.env[source.name];
      if (value === undefined || value === '') errors.push({ path: `lines[${i}].passwordEnv`, message: `names the environment variable ${source.name}, which is not set or empty` });
      return { ...line, password: value ?? '' };
    }
    const file = resolve(dirname(path), source.path);
    let secret = '';
    try {
      secret = sources.readFile(file).replace(/\r?\n$/, '');
    } catch (error) {
      errors.push({ path: `lines[${i}].passwordFile`, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      return line;
    }
    if (secret.length === 0) errors.push({ path: `lines[${i}].passwordFile`, message: `${file} is empty` });
    else if (Buffer.byteLength(secret) > MAX_PASSWORD_FILE_BYTES || /[\r\n]/.test(secret)) errors.push({ path: `lines[${i}].passwordFile`, message: `${file} must hold one line, the password (at most ${MAX_PASSWORD_FILE_BYTES} bytes)` });
    return { ...line, password: secret };
  });
  return errors.length ? { ok: false, errors } : { ok: true, value: { lines, dns: parsed.value.dns } };
}
