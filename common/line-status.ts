/**
 * What the engine tells about a line: its state, timers as absolute deadlines, and history.
 * Shared by the engine, the monitor and (through the preload contract) the renderer.
 */

/**
 * The states a line shows (SPEC "States a line shows").
 *
 * ```
 *            enable                 200 OK
 * disabled ─────────► registering ─────────► registered ──┐ refresh / failover
 *    ▲                 │   ▲   ▲                 │  ▲      │ (stays registered while
 *    │ disable         │   │   └─── retry timer ─┼──┼──────┘  a backup holds it)
 *    │                 │   │                     │  │
 *    │     all servers │   │ retry    refresh or │  │ 200 OK
 *    │     unavailable ▼   │          liveness   ▼  │
 *    │              retry-wait ◄──── failed on every server
 *    │              auth-failed ◄─── 403 / second 401 (retried after the retry delay)
 *    └── unregistering ◄── disable / remove / shutdown (Expires:0 to every binding)
 *              └──► unregistered (shutdown, removal) or disabled
 * ```
 */
export type LineState =
  | 'disabled'
  | 'registering'
  | 'registered'
  | 'retry-wait'
  | 'auth-failed'
  | 'unregistering'
  | 'unregistered';

export const LINE_STATES: readonly LineState[] = [
  'disabled', 'registering', 'registered', 'retry-wait', 'auth-failed', 'unregistering', 'unregistered',
];

/** A point-in-time view of one line. Times are epoch milliseconds; null = not scheduled. */
export interface LineSnapshot {
  id: string;
  name: string;
  state: LineState;
  /** Index of the active server (0 = primary), or null when none holds the registration. */
  server: number | null;
  /** "127.0.0.1:5060/udp" of the active server, or null. */
  serverLabel: string | null;
  /** Last final SIP response code seen on the registration path (0 = local: timeout, transport error). */
  code: number | null;
  reason: string | null;
  /** Granted registration lifetime in seconds on the active server. */
  expires: number | null;
  nextRefreshAt: number | null;
  nextRetryAt: number | null;
  nextFailbackAt: number | null;
  nextLivenessAt: number | null;
  consecutiveFailures: number;
  /** Round-trip time of the last answered OPTIONS, in ms. */
  livenessRttMs: number | null;
  /** When the state last changed. */
  since: number;
  /** Indexes of servers that hold a binding for this line now. */
  bindings: number[];
}

/** One entry of a line's bounded history: a state change or a notable event (failover, failback). */
export interface LineHistoryEntry {
  time: number;
  line: string;
  from: LineState;
  to: LineState;
  server: number | null;
  reason: string;
}

/** One SIP message in a line's trace, credentials masked. */
export interface TraceEntry {
  time: number;
  line: string;
  server: number;
  direction: 'sent' | 'received';
  retransmission: boolean;
  text: string;
}
