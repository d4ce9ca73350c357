import type { LineSnapshot, LineState } from '../../../common/line-status';
import { LINE_STATES } from '../../../common/line-status';

export type StateCounts = Record<LineState, number> & { total: number };

/** How many lines are in each state: the status bar's figures. */
export function countStates(rows: Iterable<LineSnapshot>): StateCounts {
  const counts = Object.fromEntries(LINE_STATES.map((s) => [s, 0])) as Record<LineState, number>;
  let total = 0;
  for (const s of rows) {
    counts[s.state]++;
    total++;
  }
  return { ...counts, total };
}
