/**
 * RFC 2782 target selection as a pure function: the order in which a client tries the targets of
 * one SRV record set. Randomness is injected, so tests pin the order.
 */
import type { Random } from './clock';

/** The two SRV fields that decide the order (RFC 2782 "Priority", "Weight"). */
export interface SrvRank {
  /** Target name: only used to make the starting order canonical. */
  name?: string;
  port?: number;
  /** Lower is tried first; 0–65535. */
  priority: number;
  /** Relative share among records of equal priority; 0–65535, 0 = "only if nothing else". */
  weight: number;
}

/**
 * Orders SRV records for trying one after another: priorities ascending; within one priority the
 * RFC 2782 weighted random draw, repeated until the priority is used up. Every record appears
 * once. `random` returns a number in [0, 1). The input is not modified.
 */
export function orderSrv<T extends SrvRank>(records: readonly T[], random: Random): T[] {
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b);
  const ordered: T[] = [];
  for (const priority of priorities) {
    // RFC 2782: "arrange all SRV RRs (that have not been ordered yet) in any order, except that
    // all those with weight 0 are placed at the beginning of the list" — so a weight-0 record is
    // chosen only when the draw is 0, or when it is all that is left. "Any order" is made
    // canonical (name, port) so that the same draws give the same order whatever order the DNS
    // server answered in.
    const remaining = records.filter((r) => r.priority === priority)
      .sort((a, b) => Number(a.weight !== 0) - Number(b.weight !== 0) || (a.name ?? '').localeCompare(b.name ?? '') || (a.port ?? 0) - (b.port ?? 0));
    while (remaining.length > 0) {
      const total = remaining.reduce((sum, r) => sum + r.weight, 0);
      // RFC 2782: "choose a uniform random number between 0 and the sum computed (inclusive)".
      const draw = Math.min(total, Math.floor(random() * (total + 1)));
      let running = 0;
      let chosen = remaining.length - 1;
      for (let i = 0; i < remaining.length; i++) {
        running += (remaining[i] as T).weight;
        // RFC 2782: "select the RR whose running sum value is the first in the selected order
        // which is greater than or equal to the random number selected".
        if (running >= draw) {
          chosen = i;
          break;
        }
      }
      ordered.push(remaining.splice(chosen, 1)[0] as T);
    }
  }
  return ordered;
}
