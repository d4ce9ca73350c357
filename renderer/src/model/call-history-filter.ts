/** The history list as shown: filtered by kind and by what the person typed in the search. */
import type { CallRecord } from '../../../preload/contract';

export type HistoryFilter = 'all' | 'missed' | 'incoming' | 'outgoing';

export const HISTORY_FILTERS: readonly { value: HistoryFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'missed', label: 'Missed' },
  { value: 'incoming', label: 'Incoming' },
  { value: 'outgoing', label: 'Outgoing' },
];

function matchesKind(record: CallRecord, filter: HistoryFilter): boolean {
  if (filter === 'all') return true;
  if (filter === 'missed') return record.missed;
  return record.direction === filter;
}

/**
 * Records of `filter` whose name, number, URI or line contains every word of `query`
 * (case-insensitive). A query that looks like a number also matches numbers written with
 * separators ("555 0100" finds "+15550100").
 */
export function filterHistory(records: readonly CallRecord[], filter: HistoryFilter, query: string): CallRecord[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const digits = /^[+\d\s\-.()]+$/.test(query.trim()) ? query.replace(/[^\d+]/g, '') : '';
  return records.filter((record) => {
    if (!matchesKind(record, filter)) return false;
    if (words.length === 0) return true;
    const haystack = `${record.remote.displayName ?? ''} ${record.remote.user} ${record.remote.uri} ${record.line}`.toLowerCase();
    if (digits && record.remote.user.replace(/[^\d+]/g, '').includes(digits)) return true;
    return words.every((word) => haystack.includes(word));
  });
}

/** What "call back" dials for a record: the number when there is one, else the URI. */
export function callBackTarget(record: CallRecord): string {
  return /^\+?[\d*#]+$/.test(record.remote.user) ? record.remote.user : record.remote.uri;
}
