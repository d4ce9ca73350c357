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
  /**
   * The RFC 3263 target in use when the server's host was located through DNS, e.g.
   * "sip.example.org → 127.0.0.7:5060/udp"; null (or absent) otherwise.
   */
  serverTarget?: string | null;
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

/** A server of the line as events name it: its index (0 = primary) and "127.0.0.1:5060/udp". */
export interface ServerRef {
  index: number;
  label: string;
}

/** A SIP outcome in an event: status code (0 = local: timeout, transport error) and reason. */
export interface EventCause {
  code: number;
  reason: string;
  /** What the server was doing when it failed, when that matters to the sentence. */
  during?: 'register' | 'refresh' | 'liveness' | 'connection' | 'call';
}

/**
 * What happened to a line, as data. `describeLineEvent` turns each into the one sentence the
 * history shows; nothing else writes those sentences.
 */
export type LineEvent =
  | { kind: 'enabled' }
  | { kind: 'registered'; server: ServerRef }
  | { kind: 'failover'; from: ServerRef; to: ServerRef; cause: EventCause }
  | { kind: 'unavailable'; server: ServerRef; every: boolean; cause: EventCause }
  | { kind: 'auth-failed'; server: ServerRef; cause: EventCause }
  | { kind: 'rejected'; server: ServerRef; cause: EventCause }
  | { kind: 'retry'; afterSeconds: number }
  | { kind: 're-register'; server: ServerRef | null; why: string }
  | { kind: 'connection-lost'; server: ServerRef }
  | { kind: 'failback'; server: ServerRef }
  | { kind: 'failback-failed'; server: ServerRef; cause: EventCause }
  | { kind: 'binding-removed'; server: ServerRef; removed: boolean; cause: EventCause }
  | { kind: 'stopped'; why: string };

function role(server: ServerRef): string {
  return `${server.index === 0 ? 'primary' : `backup ${server.index}`} ${server.label}`;
}

function causeText(cause: EventCause): string {
  const response = cause.code === 0 ? cause.reason : `${cause.code} ${cause.reason}`.trim();
  if (cause.during === 'liveness') return `liveness check: ${response}`;
  if (cause.during === 'refresh') return `refresh: ${response}`;
  if (cause.during === 'call') return `call: ${response}`;
  return response;
}

/** The one sentence for an event, as the history and the panel show it. */
export function describeLineEvent(event: LineEvent): string {
  switch (event.kind) {
    case 'enabled': return 'line enabled';
    case 'registered': return `registered on ${role(event.server)}`;
    case 'failover': return `failover to ${role(event.to)}: ${role(event.from)} unavailable (${causeText(event.cause)})`;
    case 'unavailable': return event.every ? `every server unavailable (${causeText(event.cause)})` : `${role(event.server)} unavailable (${causeText(event.cause)})`;
    case 'auth-failed': return `authentication failed on ${role(event.server)}: ${causeText(event.cause)}`;
    case 'rejected': return `registration rejected by ${role(event.server)}: ${causeText(event.cause)}`;
    case 'retry': return `retry after ${event.afterSeconds} s`;
    case 're-register': return event.server ? `${event.why} (${role(event.server)})` : event.why;
    case 'connection-lost': return `connection to ${role(event.server)} lost`;
    case 'failback': return `failback to ${role(event.server)}`;
    case 'failback-failed': return `failback probe to ${role(event.server)} failed: ${causeText(event.cause)}`;
    case 'binding-removed': return `binding on ${role(event.server)} ${event.removed ? 'removed' : 'not removed'}: ${causeText(event.cause)}`;
    case 'stopped': return event.why;
  }
}

/** One entry of a line's bounded history: a state change or a notable event (failover, failback). */
export interface LineHistoryEntry {
  time: number;
  line: string;
  from: LineState;
  to: LineState;
  server: number | null;
  /** `describeLineEvent(event)`: kept as a string so every reader of the history can show it. */
  reason: string;
  /** What happened, as data. */
  event: LineEvent;
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
