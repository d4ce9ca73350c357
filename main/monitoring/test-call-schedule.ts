/**
 * When a line's next scheduled test call is due, and what to do then — a pure function of the
 * line's history (no clock, no timers: `scheduled-test-calls.ts` owns those).
 *
 * ```
 *            line added / config applied
 *                       │
 *                       ▼
 *   waiting ──due── registered? ──yes──► dial ──call ended──► waiting (next = last start + every)
 *      ▲                 │
 *      │                 no
 *      └── record "failed: line not registered", no INVITE ◄┘
 * ```
 *
 * Decisions (README "Scheduled test calls"):
 * - The first call is due shortly after the line first registers (`FIRST_CALL_AFTER_REGISTER_MS`),
 *   or `every` after the schedule started, whichever comes first — so an operator sees a result
 *   soon after start or reload, and a line that never registers still gets a (failed) result.
 * - Then every `every` from the previous call's start (a fixed cadence), never two calls of one
 *   line at once: a call still running when the next is due delays it to its end.
 * - A call due while the line is not registered is not dialled: dialling would make a line that
 *   waits to retry register at once, so the monitor would change what it measures. The result is
 *   recorded as failed (code 0) with the reason, which is the truth: the trunk cannot carry a
 *   call now.
 */

/** After the first registration, how long before the first test call (lets the binding settle). */
export const FIRST_CALL_AFTER_REGISTER_MS = 2_000;

/** What the schedule knows about one line's test calls. Times are epoch ms. */
export interface TestCallScheduleState {
  /** `testCall.every`, seconds (≥ 30). */
  everyS: number;
  /** When this schedule started: the line was added, or its config changed. */
  startedAt: number;
  /** When the line was first seen registered since `startedAt`; null until then. */
  firstRegisteredAt: number | null;
  /** When the last test call (or recorded skip) started; null before the first. */
  lastStartedAt: number | null;
  /** A test call of this line is in progress. */
  running: boolean;
}

/** When the next test call is due (epoch ms), or null while one is running. */
export function nextTestCallAt(state: TestCallScheduleState): number | null {
  if (state.running) return null;
  const everyMs = state.everyS * 1000;
  if (state.lastStartedAt !== null) return state.lastStartedAt + everyMs;
  const afterStart = state.startedAt + everyMs;
  return state.firstRegisteredAt === null ? afterStart : Math.min(afterStart, state.firstRegisteredAt + FIRST_CALL_AFTER_REGISTER_MS);
}

/** What to do at `now`. */
export type TestCallAction =
  | { kind: 'wait'; at: number | null }
  | { kind: 'dial' }
  | { kind: 'skip'; reason: string };

/**
 * The action at `now` for a line in `lineState` (a LineState such as `registered`). `wait.at` is
 * when to look again (null: when the running call ends).
 */
export function testCallAction(state: TestCallScheduleState, now: number, lineState: string): TestCallAction {
  const due = nextTestCallAt(state);
  if (due === null || now < due) return { kind: 'wait', at: due };
  if (lineState !== 'registered') return { kind: 'skip', reason: `line not registered (${lineState}): no test call placed` };
  return { kind: 'dial' };
}
