/**
 * What a reload must do: the difference between the running lines and a newly loaded file, by
 * line id, compared deep-equal on the parsed (and password-resolved) config. A line whose config
 * is identical is left alone entirely — no REGISTER goes out for it. `testCall` is the monitor's
 * business, not the engine's: a line whose only change is its test call is unchanged here (no
 * re-registration); the test-call schedule compares whole configs itself.
 */
import { isDeepStrictEqual } from 'node:util';
import type { LineConfig } from '../../common/line-config';

export interface ConfigDiff {
  /** In the new file only: to add (and register). */
  added: LineConfig[];
  /** In the running set only: to remove (and unregister). */
  removed: string[];
  /** In both, with a different config: to update (re-register with the new one). */
  changed: LineConfig[];
  /** In both, identical: untouched. */
  unchanged: string[];
}

/** Pure: the ids keep the order of the new file (removed ones, of the running set). */
export function diffLineConfigs(running: readonly LineConfig[], next: readonly LineConfig[]): ConfigDiff {
  const before = new Map(running.map((line) => [line.id, line]));
  const nextIds = new Set(next.map((line) => line.id));
  const diff: ConfigDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const line of next) {
    const old = before.get(line.id);
    if (!old) diff.added.push(line);
    else if (isDeepStrictEqual(withoutTestCall(old), withoutTestCall(line))) diff.unchanged.push(line.id);
    else diff.changed.push(line);
  }
  for (const line of running) if (!nextIds.has(line.id)) diff.removed.push(line.id);
  return diff;
}

function withoutTestCall(line: LineConfig): Omit<LineConfig, 'testCall'> {
  const { testCall: _ignored, ...rest } = line;
  return rest;
}
