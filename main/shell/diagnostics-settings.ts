/**
 * The desktop app's two diagnostics settings (issue 10), off by default: a Prometheus `/metrics`
 * endpoint on loopback, and HEP export of the engine's SIP messages to a collector (Homer). One
 * validator per setting, used when a person changes it and when the settings file is read.
 */
import type { FieldError } from '../../common/schema';
import { DEFAULT_HEP_CAPTURE_ID, parseHepTarget } from '../monitoring/hep-exporter';
import type { HepSetting, MetricsSetting } from '../../preload/contract';

export const DEFAULT_METRICS_SETTING: MetricsSetting = { enabled: false, port: 9464 };
export const DEFAULT_HEP_SETTING: HepSetting = { enabled: false, target: 'udp:127.0.0.1:9060', captureId: DEFAULT_HEP_CAPTURE_ID };

/** The endpoint only ever listens here: the desktop app never exposes metrics off the machine. */
export const METRICS_HOST = '127.0.0.1';

export type SettingResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(value: Record<string, unknown>, name: string, known: readonly string[]): FieldError[] {
  return Object.keys(value)
    .filter((key) => !known.includes(key))
    .map((key) => ({ path: `${name}.${key}`, message: `is not a known field (known: ${known.join(', ')})` }));
}

/**
 * Applies a partial `metrics` patch to `current`. Errors name the field: `metrics.enabled` must be
 * true or false, `metrics.port` an integer from 1024 to 65535 (no privileged ports).
 */
export function parseMetricsSetting(patch: unknown, current: MetricsSetting = DEFAULT_METRICS_SETTING): SettingResult<MetricsSetting> {
  if (!isRecord(patch)) return { ok: false, errors: [{ path: 'metrics', message: 'must be an object like { enabled, port }' }] };
  const errors = unknownKeys(patch, 'metrics', ['enabled', 'port']);
  const next = { ...current };
  if ('enabled' in patch) {
    if (typeof patch.enabled === 'boolean') next.enabled = patch.enabled;
    else errors.push({ path: 'metrics.enabled', message: 'must be true or false' });
  }
  if ('port' in patch) {
    const port = patch.port;
    if (typeof port === 'number' && Number.isInteger(port) && port >= 1024 && port <= 65535) next.port = port;
    else errors.push({ path: 'metrics.port', message: 'must be an integer from 1024 to 65535' });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: next };
}

/**
 * Applies a partial `hep` patch to `current`. `hep.target` is `udp:IP:PORT` (parseHepTarget),
 * `hep.captureId` an integer from 1 to 4294967295 (HEP3 chunk 0x000c is 32 bits).
 */
export function parseHepSetting(patch: unknown, current: HepSetting = DEFAULT_HEP_SETTING): SettingResult<HepSetting> {
  if (!isRecord(patch)) return { ok: false, errors: [{ path: 'hep', message: 'must be an object like { enabled, target, captureId }' }] };
  const errors = unknownKeys(patch, 'hep', ['enabled', 'target', 'captureId']);
  const next = { ...current };
  if ('enabled' in patch) {
    if (typeof patch.enabled === 'boolean') next.enabled = patch.enabled;
    else errors.push({ path: 'hep.enabled', message: 'must be true or false' });
  }
  if ('target' in patch) {
    try {
      if (typeof patch.target !== 'string') throw new Error('not text');
      parseHepTarget(patch.target);
      next.target = patch.target;
    } catch {
      errors.push({ path: 'hep.target', message: 'must be udp:IP:PORT like udp:127.0.0.1:9060 or udp:[::1]:9060' });
    }
  }
  if ('captureId' in patch) {
    const id = patch.captureId;
    if (typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= 0xffff_ffff) next.captureId = id;
    else errors.push({ path: 'hep.captureId', message: 'must be an integer from 1 to 4294967295' });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: next };
}

/** A stored value, or the default when the file holds none or one that no longer validates. */
export function storedMetricsSetting(stored: unknown): MetricsSetting {
  if (stored === undefined) return { ...DEFAULT_METRICS_SETTING };
  const parsed = parseMetricsSetting(stored);
  return parsed.ok ? parsed.value : { ...DEFAULT_METRICS_SETTING };
}

/** See storedMetricsSetting. */
export function storedHepSetting(stored: unknown): HepSetting {
  if (stored === undefined) return { ...DEFAULT_HEP_SETTING };
  const parsed = parseHepSetting(stored);
  return parsed.ok ? parsed.value : { ...DEFAULT_HEP_SETTING };
}
