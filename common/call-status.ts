/**
 * What the engine tells about a call: its state, the server it went through, timestamps and live
 * media statistics. Shared by the engine, the test-call command, the monitor and (through the
 * preload contract) the renderer. Times are epoch milliseconds.
 */

/**
 * The states a call shows (SPEC "Calls").
 *
 * ```
 * outgoing:  dialing ──INVITE sent──► trying ──180──► ringing ──200──► connected ◄──► held
 *               │                       │   └─183+SDP─► early-media ──200──┘    │
 *               │ (INVITE failover: trying → dialing while the line registers   │
 *               │  on the next server, → trying as the INVITE goes out there)   │
 * incoming:  ringing ──answer──► connected                                      │
 * any state ─────────────────────── BYE / CANCEL / final error ─────────────► ended
 * ```
 * The transition table that enforces this is `CALL_TRANSITIONS` in main/sip/calls/call-state.ts.
 */
export type CallState = 'dialing' | 'trying' | 'ringing' | 'early-media' | 'connected' | 'held' | 'ended';

export const CALL_STATES: readonly CallState[] = ['dialing', 'trying', 'ringing', 'early-media', 'connected', 'held', 'ended'];

export type CallDirection = 'outgoing' | 'incoming';

/** Who a call is with: the URI, and the name and number to show. */
export interface RemoteParty {
  uri: string;
  /** User part of the URI (the number, for a phone). */
  user: string;
  displayName: string | null;
}

/**
 * Media figures of one call (RFC 3550). `lost` is cumulative (RFC 3550 A.3), `jitterMs` the
 * interarrival jitter (RFC 3550 A.8), `rttMs` from RTCP LSR/DLSR (RFC 3550 §6.4.1, null before the
 * first report), `mos` an E-model estimate (ITU-T G.107, simplified: see main/media), `rmsDbfs`
 * the level of the audio received so far.
 */
export interface CallStats {
  packetsSent: number;
  packetsReceived: number;
  packetsLost: number;
  jitterMs: number;
  rttMs: number | null;
  mos: number | null;
  rmsDbfs: number | null;
}

/** A point-in-time view of one call. */
export interface CallSnapshot {
  id: string;
  line: string;
  direction: CallDirection;
  remote: RemoteParty;
  state: CallState;
  /** Index of the server the call went through (0 = primary), or null before the INVITE is sent. */
  server: number | null;
  serverLabel: string | null;
  /** How many times the INVITE moved to another server (SPEC "INVITE failover"). */
  failovers: number;
  startedAt: number;
  /** 200 OK (outgoing) or our answer (incoming). */
  answeredAt: number | null;
  endedAt: number | null;
  /** Final SIP code of the call (200 when answered; 0 = no SIP response: local timeout or error). */
  code: number | null;
  reason: string | null;
  endedBy: 'local' | 'remote' | null;
  localHold: boolean;
  remoteHold: boolean;
  muted: boolean;
  /** First INVITE sent → 200 OK, ms (outgoing calls). */
  setupMs: number | null;
  stats: CallStats | null;
}

/** The events of a call, as the test call's `--json` output and the UI receive them. */
export type CallEventKind =
  | 'dialing'
  | 'incoming'
  | 'trying'
  | 'ringing'
  | 'early-media'
  | 'failover'
  | 'answered'
  | 'dtmf'
  | 'held'
  | 'resumed'
  | 'transfer'
  | 'ended';

export interface CallEvent {
  time: number;
  call: string;
  line: string;
  event: CallEventKind;
  server: number | null;
  code: number | null;
  reason: string | null;
  /** `failover`: the server left and the one tried next. */
  from?: number;
  to?: number;
  /** `dtmf`: the digit received. */
  digit?: string;
  /** `held`/`resumed`: who put the call on hold. */
  by?: 'local' | 'remote';
  /** `answered`. */
  setupMs?: number;
  /** `ended`. */
  durationMs?: number;
  /** `transfer`: NOTIFY progress (RFC 3515 sipfrag status). */
  progress?: 'trying' | 'accepted' | 'failed';
  stats?: CallStats | null;
}
