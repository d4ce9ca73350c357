/**
 * The trunk panel's rows as pure functions: which lines pass the filter and in what order.
 * Countdown columns sort by their absolute deadline, so the order never depends on the tick.
 */
import type { LineSnapshot, LineState } from '../../../common/line-status';

export type SortKey =
  | 'name' | 'state' | 'server' | 'response' | 'expires'
  | 'refresh' | 'retry' | 'failback' | 'liveness' | 'rtt' | 'failures' | 'since';

export type SortDirection = 'asc' | 'desc';

/** `problem` = anything but registered, disabled or unregistered on purpose. */
export type StateFilter = 'all' | 'problem' | LineState;

const STATE_ORDER: Record<LineState, number> = {
  'auth-failed': 0, 'retry-wait': 1, registering: 2, unregistering: 3, registered: 4, unregistered: 5, disabled: 6,
};

const PROBLEM_STATES: ReadonlySet<LineState> = new Set(['auth-failed', 'retry-wait', 'registering']);

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

type Value = number | string | null;

const KEYS: Record<SortKey, (s: LineSnapshot) => Value> = {
  name: (s) => s.name,
  state: (s) => STATE_ORDER[s.state],
  server: (s) => s.server,
  response: (s) => s.code,
  expires: (s) => s.expires,
  refresh: (s) => s.nextRefreshAt,
  retry: (s) => s.nextRetryAt,
  failback: (s) => s.nextFailbackAt,
  liveness: (s) => s.nextLivenessAt,
  rtt: (s) => s.livenessRttMs,
  failures: (s) => s.consecutiveFailures,
  since: (s) => s.since,
};

function compareValues(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') return collator.compare(a, b);
  return (a as number) - (b as number);
}

/**
 * Sorts a copy. Empty values (nothing scheduled, no server) go last in either direction; ties
 * fall back to the name, then the id, so the order is stable while values change.
 */
export function sortRows(rows: readonly LineSnapshot[], key: SortKey, direction: SortDirection): LineSnapshot[] {
  const valueOf = KEYS[key];
  const sign = direction === 'asc' ? 1 : -1;
  const keyed = rows.map((s) => ({ s, v: valueOf(s) }));
  keyed.sort((x, y) => {
    if (x.v === null || y.v === null) {
      if (x.v !== y.v) return x.v === null ? 1 : -1;
    } else {
      const c = compareValues(x.v, y.v);
      if (c !== 0) return sign * c;
    }
    return collator.compare(x.s.name, y.s.name) || (x.s.id < y.s.id ? -1 : x.s.id > y.s.id ? 1 : 0);
  });
  return keyed.map((k) => k.s);
}

const searchText = new WeakMap<LineSnapshot, string>();

function haystack(s: LineSnapshot): string {
  let text = searchText.get(s);
  if (text === undefined) {
    text = `${s.name}\n${s.id}\n${s.serverLabel ?? ''}\n${s.code ?? ''} ${s.reason ?? ''}`.toLowerCase();
    searchText.set(s, text);
  }
  return text;
}

export function matchesState(s: LineSnapshot, filter: StateFilter): boolean {
  if (filter === 'all') return true;
  if (filter === 'problem') return PROBLEM_STATES.has(s.state);
  return s.state === filter;
}

/** Lines in `state` whose name, id, server or last response contains `text` (case-insensitive). */
export function filterRows(rows: readonly LineSnapshot[], state: StateFilter, text: string): LineSnapshot[] {
  const needle = text.trim().toLowerCase();
  if (state === 'all' && needle === '') return rows.slice();
  return rows.filter((s) => matchesState(s, state) && (needle === '' || haystack(s).includes(needle)));
}
