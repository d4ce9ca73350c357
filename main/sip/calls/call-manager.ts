/**
 * Calls on top of the SIP engine (composition: the engine knows nothing of calls). Every call is
 * a JsSIP RTCSession on the UA (ServerLink) of the server the line is registered on, driving a
 * {@link MediaPeer} whose RTP lives in the media host process. This file is the policy: which
 * server an INVITE goes to and when it moves (SPEC "INVITE failover", decided by
 * {@link inviteFailoverDecision}), the BYE that moves to the next server when the first draws no
 * answer (SPEC "BYE failover"), auto-answer, no-answer timeouts, RTP inactivity, and the call's
 * snapshot and events (common/call-status.ts).
 *
 * ```ts
 * const calls = new CallManager(engine);           // best before engine.addLine(...)
 * calls.on('event', (e) => console.log(e));        // dialing, trying, ringing, answered, ended …
 * const call = await calls.dial('carrier-a', '1002', { source: { kind: 'tone', frequencyHz: 1000, dBFS: -12 } });
 * await calls.hangup(call.id);
 * await calls.shutdown(3000);
 * ```
 *
 * Call states and their moves are in call-state.ts. Every incoming INVITE on every UA of every
 * line reaches this manager (via `engine.onLink`): a line with `calls.enabled: false` answers 486.
 */
import { NameAddrHeader } from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession';
import type { IncomingRequest } from 'jssip/lib/SIPMessage';
import type { CallDirection, CallEvent, CallEventKind, CallSnapshot, CallState, CallStats, RemoteParty } from '../../../common/call-status';
import { normaliseDialTarget } from '../../../common/dial-target';
import type { LineConfig } from '../../../common/line-config';
import { serverLabel } from '../../../common/line-config';
import { MediaHostClient } from '../../media/media-host-client';
import { MediaHostPort } from '../../media/media-host-port';
import { WebrtcHostNegotiator } from '../../media/webrtc-host-negotiator';
import type { AudioSourceSpec, MediaStats } from '../../media/media-protocol';
import type { Clock, Random, TimerHandle } from '../clock';
import { systemClock, systemRandom } from '../clock';
import type { SipEngine } from '../engine';
import type { IncomingResponse } from '../jssip-internals';
import { silenceBudgetMs } from '../registration-schedule';
import type { ServerLink } from '../server-link';
import { randomToken } from '../server-link';
import { BoundedLog } from '../sip-trace';
import { CallMedia } from './call-media';
import { CallMediaPort } from './call-media-port';
import { nextCallState } from './call-state';
import type { InviteFailoverDecision } from './invite-failover';
import { inviteFailoverDecision } from './invite-failover';
import type { DialogSnapshot } from './jssip-dialog';
import { buildDialogRequest, dialogOf, endSessionWithoutBye, inviteBranch, observeInviteClient } from './jssip-dialog';
import { installRtcGlobals } from './rtc-globals';

export const DEFAULT_NO_ANSWER_TIMEOUT_MS = 60_000;
export const DEFAULT_REGISTER_BEFORE_DIAL_MS = 30_000;
/** A cold media host start (a Node child compiling TypeScript on a busy machine) may take a while. */
const MEDIA_HOST_START_TIMEOUT_MS = 30_000;
/**
 * RFC 4028 §4: the session interval we ask for (the recommended 1800 s). JsSIP (session_timers on
 * the UA) takes a smaller one the far end asks for and refreshes at half of it.
 */
const SESSION_EXPIRES_S = 1800;
/** How long `ended` waits for the media host's final statistics of the call. */
const FINAL_STATS_WAIT_MS = 500;

export interface CallManagerOptions {
  /**
   * Gives the media host, called lazily on the first call (and again if it exited). Default: a
   * forked Node child (`MediaHostClient.start`). `shutdown` stops the host it got either way.
   */
  mediaHost?: () => Promise<MediaHostClient>;
  clock?: Clock;
  random?: Random;
  /** Ended calls kept for `history()` (default 200). */
  historyCapacity?: number;
  /** An outgoing call nobody answers is cancelled after this (default 60 000 ms; 0 = never). */
  noAnswerTimeoutMs?: number;
  /** A call placed while the line is not registered waits this long for it (default 30 000 ms). */
  registerBeforeDialMs?: number;
}

/** The audio of one call (the test call's `--tone`/`--play`/`--record`; the app's bus comes later). */
export interface CallAudioOptions {
  /** What we send: a tone, a WAV file, or silence (default). */
  source?: AudioSourceSpec;
  /** Record what we receive as 8 kHz mono 16-bit WAV here. */
  recordPath?: string;
}

export type CallManagerEvents = {
  /** Every change of a call's snapshot (state, statistics about once a second). */
  call: CallSnapshot;
  /** Every call event (what `npm run call -- --json` prints). */
  event: CallEvent;
  /** A new incoming call is ringing. */
  incoming: CallSnapshot;
};

type Listener<T> = (value: T) => void;

/** One INVITE to one server. */
interface InviteAttempt {
  session: RTCSession;
  server: number;
  link: ServerLink;
  had1xx: boolean;
  /** Set once the manager gave up on this session: nothing it reports matters any more. */
  abandoned: boolean;
  silence: TimerHandle | null;
  /** The decision taken on a final response or transport error before JsSIP reports the failure. */
  decision: InviteFailoverDecision | null;
  timedOut: boolean;
  settle(outcome: { action: 'failover'; cause: string } | { action: 'done' }): void;
}

interface CallRecord {
  snap: CallSnapshot;
  config: LineConfig;
  target: string;
  audio: CallAudioOptions;
  session: RTCSession | null;
  link: ServerLink | null;
  media: CallMedia | null;
  port: MediaHostPort | null;
  attempt: InviteAttempt | null;
  firstInviteAt: number | null;
  timers: Set<TimerHandle>;
  unsubscribes: (() => void)[];
  /** Set by a local hang-up/decline/timeout: how the ended call reads. */
  localEnd: { code: number | null; reason: string } | null;
  ending: boolean;
  endWaiters: ((snapshot: CallSnapshot) => void)[];
  /** BYE failover bookkeeping (tests, diagnostics): which servers the BYE went through. */
  byeServers: number[];
}

function statsOf(stats: MediaStats): CallStats {
  return {
    packetsSent: stats.packetsSent,
    packetsReceived: stats.packetsReceived,
    packetsLost: stats.packetsLost,
    jitterMs: stats.jitterMs,
    rttMs: stats.rttMs,
    mos: stats.mos,
    rmsDbfs: stats.rmsDbfs,
  };
}

/** RFC 3261 §21 reason phrases for the codes we set ourselves. */
const PHRASES: Record<number, string> = { 408: 'Request Timeout', 480: 'Temporarily Unavailable', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 503: 'Service Unavailable', 603: 'Decline' };

/** The party of a URI string and optional display name. */
function partyOf(uri: string, displayName: string | null): RemoteParty {
  const user = /^(?:sips?|tel):([^@;?]*)/i.exec(uri)?.[1] ?? '';
  return { uri, user: decodeURIComponent(user), displayName: displayName || null };
}

/** Caller identity (SPEC "Incoming"): P-Asserted-Identity (RFC 3325 §9.1), else From. */
export function callerOf(request: Pick<IncomingRequest, 'getHeader'> & { from?: { uri: { toString(): string }; display_name?: string } }): RemoteParty {
  const pai = request.getHeader('P-Asserted-Identity');
  if (pai) {
    // Several values may be listed (a sip: and a tel: URI): the first one is shown.
    const first = pai.split(/,(?=\s*(?:"|<|sips?:|tel:))/)[0]?.trim() ?? '';
    const parsed = NameAddrHeader.parse(first) as unknown as { uri: { toString(): string }; display_name?: string } | undefined;
    if (parsed && parsed.uri) return partyOf(parsed.uri.toString(), parsed.display_name ?? null);
    // JsSIP's grammar knows sip:/sips: only; a tel: identity (RFC 3325 §9.1 allows it) is read here.
    const tel = /^\s*(?:"([^"]*)"\s*)?<(tel:[^>]+)>/.exec(first);
    if (tel) return partyOf(tel[2]!, tel[1] ?? null);
  }
  const from = request.from;
  return from ? partyOf(from.uri.toString(), from.display_name ?? null) : { uri: '', user: '', displayName: null };
}

/** `session.on` with JsSIP's loose event payloads. */
function on(session: RTCSession, event: string, listener: (e: never) => void): void {
  (session as unknown as { on(event: string, listener: (e: never) => void): void }).on(event, listener);
}

export class CallManager {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly live = new Map<string, CallRecord>();
  private readonly ended: BoundedLog<CallSnapshot>;
  private readonly listeners: { [K in keyof CallManagerEvents]: Set<Listener<CallManagerEvents[K]>> } = { call: new Set(), event: new Set(), incoming: new Set() };
  private readonly attached = new WeakSet<object>();
  private hostStarting: Promise<MediaHostClient> | null = null;
  private host: MediaHostClient | null = null;
  private shuttingDown = false;
  private sequence = 0;
  private readonly offLink: () => void;

  constructor(private readonly engine: SipEngine, private readonly options: CallManagerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.ended = new BoundedLog<CallSnapshot>(options.historyCapacity ?? 200);
    installRtcGlobals();
    this.offLink = engine.onLink(({ line, server, link }) => this.attachLink(line, server, link));
    // Lines added before this manager: their primary's and active server's UAs exist already.
    for (const id of engine.lineIds()) {
      if (engine.snapshot(id).state === 'disabled') continue;
      for (const server of new Set([0, engine.activeServer(id) ?? 0])) {
        const link = engine.link(id, server);
        if (link) this.attachLink(id, server, link);
      }
    }
  }

  /** Subscribes to `call` (snapshots), `event` (call events) or `incoming` (a call rings). Returns an unsubscribe function. */
  on<K extends keyof CallManagerEvents>(kind: K, listener: Listener<CallManagerEvents[K]>): () => void {
    const set = this.listeners[kind] as Set<Listener<CallManagerEvents[K]>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Starts the media host now rather than on the first call (the test call does, so its first
   * INVITE does not wait for the child process). Rejects when the host cannot start.
   */
  async prepareMedia(): Promise<void> {
    await this.mediaHost();
  }

  /** Calls not ended yet. */
  calls(): CallSnapshot[] {
    return [...this.live.values()].map((c) => this.copy(c));
  }

  /** A call by id (live or in the history), or null. */
  call(id: string): CallSnapshot | null {
    const live = this.live.get(id);
    if (live) return this.copy(live);
    return this.ended.toArray().find((s) => s.id === id) ?? null;
  }

  /** Ended calls, oldest first (at most `historyCapacity`). */
  history(): CallSnapshot[] {
    return this.ended.toArray();
  }

  /** Servers the BYE of call `id` went through, in order (BYE failover: two entries). */
  byeServers(id: string): number[] {
    return [...(this.live.get(id)?.byeServers ?? this.byeLog.get(id) ?? [])];
  }

  private readonly byeLog = new Map<string, number[]>();

  /**
   * Places a call on line `lineId` to `target` (a number or URI, see common/dial-target.ts).
   * Resolves at once with the `dialing` snapshot; the call goes on in the background (events).
   * A line waiting to retry registers first, then dials.
   *
   * @throws Error naming the field: unknown line, a line that takes no calls, a target that cannot be dialled.
   */
  async dial(lineId: string, target: string, audio: CallAudioOptions = {}): Promise<CallSnapshot> {
    if (this.shuttingDown) throw new Error('calls are shutting down');
    const config = this.engine.config(lineId);
    if (!config.calls.enabled) throw new Error(`line "${lineId}": calls.enabled is false (a registration-only line cannot place calls)`);
    const dialled = normaliseDialTarget(target, config.domain);
    if (!dialled.ok) throw new Error(dialled.error);
    const call = this.newCall(config, 'outgoing', partyOf(dialled.uri, null), 'dialing', audio);
    call.target = dialled.uri;
    this.event(call, 'dialing');
    void this.runOutgoing(call).catch((error: unknown) => this.finish(call, { code: 0, reason: `call failed: ${(error as Error).message}`, by: 'local' }));
    return this.copy(call);
  }

  /** Answers ringing incoming call `id` with the given audio. Other connected calls go on hold (call waiting). */
  async answer(id: string, audio: CallAudioOptions = {}): Promise<CallSnapshot> {
    const call = this.require(id);
    const session = call.session;
    if (call.snap.direction !== 'incoming' || call.snap.state !== 'ringing' || !session || !call.link) throw new Error(`call ${id} is not a ringing incoming call (state ${call.snap.state})`);
    call.audio = { ...call.audio, ...audio };
    for (const other of this.live.values()) {
      if (other !== call && other.snap.state === 'connected') this.hold(other.snap.id).catch(() => undefined);
    }
    const host = await this.mediaHost();
    if (call.ending || session.isEnded()) return this.copy(call);
    const media = this.mediaFor(call, host, call.link);
    media.bindSession(session);
    session.answer({ ...media.jssipOptions(), sessionTimersExpires: SESSION_EXPIRES_S } as never);
    return this.copy(call);
  }

  /** Declines ringing incoming call `id`: 486 Busy Here, or 603 Decline when asked (SPEC "Incoming"). */
  async decline(id: string, code: 486 | 603 = 486): Promise<CallSnapshot> {
    const call = this.require(id);
    if (call.snap.direction !== 'incoming' || call.snap.state !== 'ringing' || !call.session) throw new Error(`call ${id} is not a ringing incoming call (state ${call.snap.state})`);
    if (code !== 486 && code !== 603) throw new Error(`decline code must be 486 or 603 (got ${String(code)})`);
    call.localEnd = { code, reason: PHRASES[code]! };
    const ended = this.whenEnded(call);
    call.session.terminate({ status_code: code });
    return ended;
  }

  /**
   * Hangs up call `id`: CANCEL before an answer (the far end answers 487), BYE after (with BYE
   * failover). The call ends for the person at once; resolves with the ended snapshot.
   */
  async hangup(id: string, reason = 'hung up'): Promise<CallSnapshot> {
    const call = this.live.get(id);
    if (!call) {
      const old = this.call(id);
      if (old) return old;
      throw new Error(`no call "${id}"`);
    }
    return this.endLocally(call, null, reason, []);
  }

  /** Puts call `id` on hold: re-INVITE with `a=sendonly` (RFC 3264 §8.4). */
  async hold(id: string): Promise<CallSnapshot> {
    const call = this.connected(id);
    // JsSIP calls `done` only when the re-INVITE succeeded; a failed one ends the call instead.
    await Promise.race([new Promise<void>((resolve) => {
      if (!call.session!.hold({}, resolve)) resolve();
    }), this.whenEnded(call)]);
    return this.copy(call);
  }

  /** Takes call `id` off hold (re-INVITE `a=sendrecv`). */
  async resume(id: string): Promise<CallSnapshot> {
    const call = this.connected(id);
    await Promise.race([new Promise<void>((resolve) => {
      if (!call.session!.unhold({}, resolve)) resolve();
    }), this.whenEnded(call)]);
    return this.copy(call);
  }

  /** Stops (true) or resumes (false) sending our audio; no SIP. */
  setMuted(id: string, muted: boolean): CallSnapshot {
    const call = this.connected(id);
    if (muted) call.session!.mute({ audio: true });
    else call.session!.unmute({ audio: true });
    call.snap.muted = muted;
    this.changed(call);
    return this.copy(call);
  }

  /**
   * Sends DTMF `digits` ([0-9A-D*#], "," = 2 s pause): RFC 4733 telephone-event, or SIP INFO when
   * the line says so or the far end did not negotiate telephone-event.
   */
  sendDtmf(id: string, digits: string): void {
    const call = this.connected(id);
    if (!/^[0-9A-Da-d*#,]{1,64}$/.test(digits)) throw new Error(`dtmf: must be 1 to 64 of 0-9, A-D, *, # or "," (got "${digits}")`);
    call.session!.sendDTMF(digits.toUpperCase(), { transportType: call.media!.dtmfTransportType() });
  }

  /**
   * Blind transfer (RFC 3515 REFER) of connected call `id` to `target`. NOTIFY progress arrives as
   * `transfer` events (`trying`, `accepted`, `failed`); once the target accepted, we hang up.
   */
  transfer(id: string, target: string): void {
    const call = this.connected(id);
    const dialled = normaliseDialTarget(target, call.config.domain, 'transfer target');
    if (!dialled.ok) throw new Error(dialled.error);
    const progress = (p: 'trying' | 'accepted' | 'failed', code: number | null = null, reason: string | null = null) => this.event(call, 'transfer', { progress: p, ...(code !== null ? { code } : {}), ...(reason !== null ? { reason } : {}) });
    type Frag = { status_line?: { status_code: number; reason_phrase: string }; response?: { status_code: number; reason_phrase: string } };
    const codeOf = (e: Frag | undefined) => e?.status_line?.status_code ?? e?.response?.status_code ?? null;
    const reasonOf = (e: Frag | undefined) => e?.status_line?.reason_phrase ?? e?.response?.reason_phrase ?? null;
    call.session!.refer(dialled.uri, {
      eventHandlers: {
        requestSucceeded: (e: Frag) => progress('trying', codeOf(e), reasonOf(e)),
        requestFailed: (e: Frag) => progress('failed', codeOf(e), reasonOf(e)),
        trying: (e: Frag) => progress('trying', codeOf(e), reasonOf(e)),
        progress: (e: Frag) => progress('trying', codeOf(e), reasonOf(e)),
        accepted: (e: Frag) => {
          progress('accepted', codeOf(e), reasonOf(e));
          if (!call.ending) void this.endLocally(call, null, `transferred to ${dialled.uri}`, []);
        },
        failed: (e: Frag) => progress('failed', codeOf(e), reasonOf(e)),
      },
    });
  }

  /**
   * Hangs up every call (CANCEL/BYE, in parallel), waits at most `boundMs` for them, and stops the
   * media host. New calls are refused from here on.
   */
  async shutdown(boundMs = 3_000): Promise<void> {
    this.shuttingDown = true;
    const all = [...this.live.values()].map((c) => this.endLocally(c, null, 'shutdown', []).catch(() => undefined));
    await new Promise<void>((resolve) => {
      const timer = this.clock.setTimer(resolve, boundMs);
      void Promise.allSettled(all).then(() => {
        this.clock.clearTimer(timer);
        resolve();
      });
    });
    // BYEs already went out; the BYE failover bookkeeping must not hold a quitting process.
    this.offLink();
    const starting = this.hostStarting;
    this.hostStarting = null;
    const host = this.host ?? (starting ? await starting.catch(() => null) : null);
    this.host = null;
    await host?.stop(Math.min(2_000, boundMs)).catch(() => undefined);
  }

  // ── outgoing ─────────────────────────────────────────────────────────────────────────────

  private async runOutgoing(call: CallRecord): Promise<void> {
    // The media host starts while the line registers (a cold start takes a moment).
    const starting = this.mediaHost();
    starting.catch(() => undefined);
    const { config } = call;
    for (;;) {
      if (call.ending) return;
      let server: number;
      try {
        server = await this.engine.whenRegistered(config.id, this.options.registerBeforeDialMs ?? DEFAULT_REGISTER_BEFORE_DIAL_MS);
      } catch (error) {
        await call.media?.close();
        this.finish(call, { code: call.snap.failovers > 0 ? 503 : 0, reason: `line not registered: ${(error as Error).message}`, by: 'local' });
        return;
      }
      if (call.ending) {
        await call.media?.close();
        return;
      }
      const link = this.engine.link(config.id, server);
      if (!link) {
        this.finish(call, { code: 0, reason: `line "${config.id}" has no SIP link for server ${server}`, by: 'local' });
        return;
      }
      this.attachLink(config.id, server, link);
      const host = await starting;
      if (call.ending) return;
      const media = this.mediaFor(call, host, link);
      const outcome = await this.sendInvite(call, server, link, media);
      if (outcome.action !== 'failover') return;
      if (call.snap.failovers >= config.servers.length - 1) {
        // The line came back to a server this call already tried (it failed back meanwhile):
        // every server had its chance, the call does not go round again.
        await media.close();
        this.finish(call, { code: 503, reason: `every server failed: ${outcome.cause}`, by: 'local' });
        return;
      }
      const to = server + 1;
      call.snap.failovers++;
      this.setState(call, 'dialing');
      this.event(call, 'failover', { from: server, to, reason: outcome.cause });
      this.engine.reportServerUnavailable(config.id, server, outcome.cause);
    }
  }

  /** One INVITE through `link`; settles when the call is answered or ended, or must move on. */
  private sendInvite(call: CallRecord, server: number, link: ServerLink, media: CallMedia): Promise<{ action: 'failover'; cause: string } | { action: 'done' }> {
    const { config } = call;
    const isLastServer = server === config.servers.length - 1;
    const budgetMs = silenceBudgetMs(config.signalRetryCount, isLastServer);
    const decide = (outcome: Parameters<typeof inviteFailoverDecision>[0]) =>
      inviteFailoverDecision(outcome, { had1xx: attempt.had1xx, stopFailoverAfterInviteTimeout: config.stopFailoverAfterInviteTimeout, isLastServer });
    let settle: InviteAttempt['settle'] = () => undefined;
    const settled = new Promise<{ action: 'failover'; cause: string } | { action: 'done' }>((resolve) => (settle = resolve));
    let session: RTCSession;
    try {
      session = link.ua.call(call.target, { ...media.jssipOptions(), eventHandlers: {}, sessionTimersExpires: SESSION_EXPIRES_S } as never);
    } catch (error) {
      void media.close();
      this.finish(call, { code: 0, reason: `cannot call ${call.target}: ${(error as Error).message}`, by: 'local' });
      return Promise.resolve({ action: 'done' });
    }
    media.bindSession(session);
    const attempt: InviteAttempt = { session, server, link, had1xx: false, abandoned: false, silence: null, decision: null, timedOut: false, settle };
    call.attempt = attempt;
    call.session = session;
    call.link = link;
    call.snap.server = server;
    call.snap.serverLabel = serverLabel(config.servers[server]!);
    const clearSilence = (): void => {
      this.clock.clearTimer(attempt.silence);
      attempt.silence = null;
    };
    const moveOn = (cause: string): void => {
      // Same call, same local media on the next server (SPEC): the port outlives this session.
      media.keepMediaForNextSession();
      attempt.abandoned = true;
      clearSilence();
      settle({ action: 'failover', cause });
    };
    const onSilence = (): void => {
      attempt.silence = null;
      if (attempt.abandoned) return;
      // The socket would go on retransmitting the abandoned INVITE until Timer B: stop it now.
      const branch = inviteBranch(session);
      if (branch) link.socket.stopRetransmitting(branch);
      const decision = decide({ kind: 'no-response' });
      if (decision.action === 'failover') {
        moveOn(decision.cause);
        // Before any 1xx JsSIP sends nothing here (no CANCEL, RFC 3261 §9.1); a late 2xx is
        // ACKed and BYEd by JsSIP itself (RTCSession._acceptAndTerminate): never a second call.
        this.terminateQuietly(session);
        return;
      }
      attempt.decision = decision;
      call.localEnd = { code: decision.code, reason: decision.reason };
      if (decision.serverUnavailable) this.engine.reportServerUnavailable(config.id, server, decision.reason);
      this.terminateQuietly(session);
    };
    observeInviteClient(session, {
      onResponse: (response: IncomingResponse) => {
        if (attempt.abandoned) return;
        clearSilence();
        if (response.status_code < 200) {
          attempt.had1xx = true;
          return;
        }
        if (response.status_code < 300) return;
        const decision = decide({ kind: 'final', code: response.status_code, reason: response.reason_phrase });
        attempt.decision = decision;
        // JsSIP closes the peer as it fails the session: keep the port before it does.
        if (decision.action === 'failover') media.keepMediaForNextSession();
        else if (decision.serverUnavailable) this.engine.reportServerUnavailable(config.id, server, { code: decision.code, reason: decision.reason });
      },
      onTransportError: () => {
        if (attempt.abandoned) return;
        clearSilence();
        const decision = decide({ kind: 'transport-error', reason: link.socket.lastFailure?.message ?? 'transport error' });
        attempt.decision = decision;
        if (decision.action === 'failover') {
          media.keepMediaForNextSession();
          return;
        }
        call.localEnd ??= { code: decision.code, reason: decision.reason };
        if (decision.serverUnavailable) this.engine.reportServerUnavailable(config.id, server, decision.reason);
      },
      onRequestTimeout: () => {
        attempt.timedOut = true;
      },
    });
    on(session, 'sending', () => {
      if (attempt.abandoned) return;
      call.firstInviteAt ??= this.clock.now();
      this.setState(call, 'trying');
      this.event(call, 'trying');
      attempt.silence = this.clock.setTimer(onSilence, budgetMs);
      const noAnswer = this.options.noAnswerTimeoutMs ?? DEFAULT_NO_ANSWER_TIMEOUT_MS;
      if (noAnswer > 0 && call.snap.failovers === 0) {
        this.timer(call, noAnswer, () => {
          if (call.snap.answeredAt === null && !call.ending) void this.endLocally(call, 408, `no answer within ${Math.round(noAnswer / 1000)} s`, []);
        });
      }
    });
    on(session, 'progress', (e: { originator: string; response?: IncomingResponse }) => {
      if (attempt.abandoned || e.originator !== 'remote' || !e.response) return;
      const code = e.response.status_code;
      const early = code === 183 && Boolean(e.response.body);
      if (code === 100) return;
      const state: CallState = early ? 'early-media' : 'ringing';
      if (call.snap.state === state) return;
      this.setState(call, state, code, e.response.reason_phrase);
      this.event(call, state === 'early-media' ? 'early-media' : 'ringing', { code, reason: e.response.reason_phrase });
    });
    on(session, 'accepted', (e: { response?: IncomingResponse }) => {
      if (attempt.abandoned) return;
      this.onAnswered(call, e.response?.status_code ?? 200, e.response?.reason_phrase ?? 'OK');
      settle({ action: 'done' });
    });
    on(session, 'failed', (e: { originator: string; cause: string; message?: { status_code?: number; reason_phrase?: string } | null }) => {
      if (attempt.abandoned) return;
      clearSilence();
      const decision = attempt.decision;
      if (decision?.action === 'failover') {
        moveOn(decision.cause);
        return;
      }
      const status = e.message?.status_code;
      const fromResponse = e.originator === 'remote' && typeof status === 'number';
      const ended = call.localEnd ?? (fromResponse ? { code: status, reason: e.message?.reason_phrase || PHRASES[status] || e.cause } : attempt.timedOut ? { code: 408, reason: PHRASES[408]! } : { code: 0, reason: e.cause });
      this.finish(call, { ...ended, by: fromResponse ? 'remote' : 'local' });
      settle({ action: 'done' });
    });
    this.attachCommon(call, session);
    return settled;
  }

  // ── incoming ─────────────────────────────────────────────────────────────────────────────

  /** Attaches the incoming-call listener to a line's UA (once per UA). */
  private attachLink(lineId: string, server: number, link: ServerLink): void {
    if (this.attached.has(link.ua)) return;
    this.attached.add(link.ua);
    // Once a listener exists JsSIP no longer answers 405 itself (UA.js:515): every INVITE lands here.
    link.ua.on('newRTCSession', (e: { originator: string; session: RTCSession; request: IncomingRequest }) => {
      if (e.originator !== 'remote') return;
      this.onIncoming(lineId, server, link, e.session, e.request);
    });
  }

  private onIncoming(lineId: string, server: number, link: ServerLink, session: RTCSession, request: IncomingRequest): void {
    let config: LineConfig;
    try {
      config = this.engine.config(lineId);
    } catch {
      session.terminate({ status_code: 480 });
      return;
    }
    // SPEC: a line that takes no calls answers 486 cleanly (before JsSIP's automatic 180).
    if (!config.calls.enabled || this.shuttingDown) {
      session.terminate({ status_code: 486 });
      return;
    }
    const call = this.newCall(config, 'incoming', callerOf(request as never), 'ringing', {});
    call.session = session;
    call.link = link;
    call.snap.server = server;
    call.snap.serverLabel = serverLabel(config.servers[server]!);
    on(session, 'accepted', () => this.onAnswered(call, 200, 'OK'));
    on(session, 'failed', (e: { originator: string; cause: string }) => {
      const byCaller = e.originator === 'remote';
      const noAnswer = e.cause === 'No Answer';
      const ended = call.localEnd ?? (byCaller ? { code: 487, reason: PHRASES[487]! } : noAnswer ? { code: 408, reason: 'no answer' } : { code: 0, reason: e.cause });
      this.finish(call, { ...ended, by: byCaller ? 'remote' : 'local' });
    });
    this.attachCommon(call, session);
    // Answering must not wait for a cold media host: it starts while the call rings.
    this.mediaHost().catch(() => undefined);
    this.event(call, 'incoming');
    this.listeners.incoming.forEach((l) => l(this.copy(call)));
    const autoAnswerMs = config.calls.autoAnswerMs;
    if (autoAnswerMs !== undefined) {
      this.timer(call, autoAnswerMs, () => {
        if (call.snap.state === 'ringing' && !call.ending) this.answer(call.snap.id).catch((error: unknown) => void this.endLocally(call, 500, `auto-answer failed: ${(error as Error).message}`, []));
      });
    }
  }

  // ── both directions ──────────────────────────────────────────────────────────────────────

  private attachCommon(call: CallRecord, session: RTCSession): void {
    on(session, 'ended', (e: { originator: string; cause: string }) => {
      if (call.session !== session) return;
      const by = e.originator === 'remote' ? 'remote' : 'local';
      const ended = call.localEnd ?? { code: call.snap.code, reason: by === 'remote' ? 'hung up by the far end' : e.cause };
      this.finish(call, { ...ended, by });
    });
    on(session, 'hold', (e: { originator: 'local' | 'remote' }) => this.onHold(call, e.originator, true));
    on(session, 'unhold', (e: { originator: 'local' | 'remote' }) => this.onHold(call, e.originator, false));
    on(session, 'newDTMF', (e: { originator: string; dtmf: { tone: string } }) => {
      if (e.originator === 'remote') this.event(call, 'dtmf', { digit: String(e.dtmf.tone) });
    });
  }

  private onAnswered(call: CallRecord, code: number, reason: string): void {
    if (call.ending || call.snap.answeredAt !== null) return;
    const now = this.clock.now();
    call.snap.answeredAt = now;
    call.snap.code = code;
    call.snap.reason = reason;
    if (call.firstInviteAt !== null) call.snap.setupMs = now - call.firstInviteAt;
    this.setState(call, 'connected');
    this.event(call, 'answered', call.snap.setupMs !== null ? { setupMs: call.snap.setupMs } : {});
  }

  private onHold(call: CallRecord, by: 'local' | 'remote', held: boolean): void {
    if (call.ending) return;
    if (by === 'local') call.snap.localHold = held;
    else call.snap.remoteHold = held;
    this.setState(call, call.snap.localHold || call.snap.remoteHold ? 'held' : 'connected');
    this.event(call, held ? 'held' : 'resumed', { by });
  }

  /**
   * Ends `call` from our side in whatever state it is, with `code`/`reason` shown (null code:
   * keep what the call has, e.g. 200 for an answered call).
   */
  private endLocally(call: CallRecord, code: number | null, reason: string, extraHeaders: string[]): Promise<CallSnapshot> {
    if (call.ending) return this.whenEnded(call);
    const ended = this.whenEnded(call);
    const session = call.session;
    if (session && session.isEstablished() && !session.isEnded()) {
      call.localEnd = { code: code ?? call.snap.code, reason };
      this.sendByeWithFailover(call, session, extraHeaders);
      return ended;
    }
    if (call.snap.direction === 'outgoing' && call.snap.answeredAt === null) {
      // CANCEL (after a 1xx) or nothing yet (RFC 3261 §9.1); the far end answers 487.
      call.localEnd = { code: code ?? 487, reason: code === null ? PHRASES[487]! : reason };
      const live = session && !session.isEnded() && call.attempt && !call.attempt.abandoned;
      // A live INVITE: its `failed` event settles the call. Otherwise the call is between servers
      // (registering on the next one) or not sent yet: it ends here, and runOutgoing stops.
      if (live) this.terminateQuietly(session);
      else this.finish(call, { ...call.localEnd, by: 'local' });
      return ended;
    }
    if (session && !session.isEnded()) {
      // Ringing incoming: hanging up declines (486); answered but not yet ACKed: JsSIP sends its BYE after the ACK.
      call.localEnd = { code: code ?? (call.snap.answeredAt === null ? 486 : call.snap.code), reason };
      this.terminateQuietly(session, call.snap.answeredAt === null ? 486 : undefined);
      return ended;
    }
    this.finish(call, { code: code ?? call.snap.code, reason, by: 'local' });
    return ended;
  }

  /**
   * SPEC "BYE failover": the call ends for the person now; the BYE goes to the dialog's server
   * and, when it draws no final response within the silence budget (or cannot be sent), the same
   * BYE (Call-ID, tags, CSeq, route set, Request-URI; new branch, RFC 3263 §4.3) goes through
   * the next server.
   */
  private sendByeWithFailover(call: CallRecord, session: RTCSession, extraHeaders: string[]): void {
    const dialog = dialogOf(session, this.random);
    const server = call.snap.server;
    endSessionWithoutBye(session, 'Terminated');
    if (!dialog || server === null) return;
    void this.byeThrough(call, dialog, server, extraHeaders);
  }

  private async byeThrough(call: CallRecord, dialog: DialogSnapshot, first: number, extraHeaders: string[]): Promise<void> {
    const { config } = call;
    const servers = config.servers.length;
    const log = call.byeServers;
    this.byeLog.set(call.snap.id, log);
    const attempt = async (server: number) => {
      const link = this.engine.link(config.id, server);
      if (!link) return { kind: 'transport-error' as const, reason: 'no SIP link' };
      log.push(server);
      const budget = silenceBudgetMs(config.signalRetryCount, server === servers - 1);
      return link.transact(() => buildDialogRequest(link.ua, dialog, 'BYE', extraHeaders), budget);
    };
    try {
      const result = await attempt(first);
      if (result.kind === 'response' || servers < 2) return;
      const next = (first + 1) % servers;
      this.engine.reportServerUnavailable(config.id, first, `BYE: ${result.reason}`);
      await attempt(next);
    } catch {
      // The line was removed meanwhile: nobody is left to send the BYE for.
    } finally {
      if (this.byeLog.size > 200) this.byeLog.delete(this.byeLog.keys().next().value as string);
    }
  }

  /** JsSIP's terminate(), which throws when the session already ended (a race with the far end). */
  private terminateQuietly(session: RTCSession, statusCode?: number): void {
    try {
      session.terminate(statusCode ? { status_code: statusCode } : {});
    } catch {
      // Already terminated: its own failed/ended event settles the call.
    }
  }

  // ── media ────────────────────────────────────────────────────────────────────────────────

  private async mediaHost(): Promise<MediaHostClient> {
    if (this.host?.running) return this.host;
    this.hostStarting ??= (this.options.mediaHost ?? (() => MediaHostClient.start({ startTimeoutMs: MEDIA_HOST_START_TIMEOUT_MS })))().then(
      (host) => {
        this.host = host;
        this.hostStarting = null;
        host.on('exit', () => {
          if (this.host === host) this.host = null;
        });
        return host;
      },
      (error: unknown) => {
        this.hostStarting = null;
        throw error;
      },
    );
    return this.hostStarting;
  }

  /** The call's media (created once: a failover re-offers the same). */
  private mediaFor(call: CallRecord, host: MediaHostClient, link: ServerLink): CallMedia {
    if (call.media) return call.media;
    const { calls } = call.config;
    const port = new MediaHostPort(host, {
      session: call.snap.id,
      inactivityTimeoutMs: calls.rtpTimeout * 1000,
      ...(call.audio.source ? { source: call.audio.source } : {}),
      ...(call.audio.recordPath ? { recordPath: call.audio.recordPath } : {}),
    });
    call.port = port;
    call.unsubscribes.push(
      port.onStats((stats) => {
        if (call.ending) return;
        call.snap.stats = statsOf(stats);
        this.changed(call);
      }),
      port.onDtmf((digit) => this.event(call, 'dtmf', { digit })),
      port.onInactive(() => {
        if (call.ending || !call.session?.isEstablished()) return;
        const reason = `no RTP for ${calls.rtpTimeout} s`;
        // RFC 3326 Reason on the BYE, as JsSIP's own RTP timeout does.
        void this.endLocally(call, 408, reason, [`Reason: SIP ;cause=408 ;text="${reason}"`]);
      }),
    );
    const localAddress = link.socket.localAddress()?.address ?? '0.0.0.0';
    call.media = new CallMedia({
      mediaPort: new CallMediaPort(port),
      localAddress,
      portRange: { min: calls.rtpPortMin, max: calls.rtpPortMax },
      codecs: calls.codecs,
      srtp: calls.srtp,
      dtmfMode: calls.dtmfMode,
      random: this.random,
      // ws/wss line toward WebRTC far ends: ICE + DTLS-SRTP by the media host's werift leg (webrtc-leg.ts).
      ...(calls.mediaMode === 'webrtc' ? { webrtc: { negotiator: new WebrtcHostNegotiator(host, call.snap.id), iceAddress: localAddress } } : {}),
    });
    return call.media;
  }

  // ── bookkeeping ──────────────────────────────────────────────────────────────────────────

  private newCall(config: LineConfig, direction: CallDirection, remote: RemoteParty, state: CallState, audio: CallAudioOptions): CallRecord {
    const id = `call-${++this.sequence}-${randomToken(this.random, 6)}`;
    const call: CallRecord = {
      snap: {
        id,
        line: config.id,
        direction,
        remote,
        state,
        server: null,
        serverLabel: null,
        failovers: 0,
        startedAt: this.clock.now(),
        answeredAt: null,
        endedAt: null,
        code: null,
        reason: null,
        endedBy: null,
        localHold: false,
        remoteHold: false,
        muted: false,
        setupMs: null,
        stats: null,
      },
      config,
      target: remote.uri,
      audio,
      session: null,
      link: null,
      media: null,
      port: null,
      attempt: null,
      firstInviteAt: null,
      timers: new Set(),
      unsubscribes: [],
      localEnd: null,
      ending: false,
      endWaiters: [],
      byeServers: [],
    };
    this.live.set(id, call);
    this.changed(call);
    return call;
  }

  private finish(call: CallRecord, end: { code: number | null; reason: string; by: 'local' | 'remote' }): void {
    if (call.ending) return;
    call.ending = true;
    for (const t of call.timers) this.clock.clearTimer(t);
    call.timers.clear();
    if (call.attempt) this.clock.clearTimer(call.attempt.silence);
    const endedAt = this.clock.now();
    const port = call.port;
    const closing = Promise.all([call.media?.close(), port?.close()]).catch(() => undefined);
    // The final statistics come with the port's close; the person never waits more than a moment.
    const bounded = new Promise<void>((resolve) => {
      const timer = this.clock.setTimer(resolve, FINAL_STATS_WAIT_MS);
      void closing.then(() => {
        this.clock.clearTimer(timer);
        resolve();
      });
    });
    void bounded.then(() => {
      call.unsubscribes.splice(0).forEach((u) => u());
      if (port?.closedStats) call.snap.stats = statsOf(port.closedStats);
      call.snap.endedAt = endedAt;
      call.snap.code = end.code;
      call.snap.reason = end.reason;
      call.snap.endedBy = end.by;
      this.setState(call, 'ended');
      const durationMs = call.snap.answeredAt !== null ? endedAt - call.snap.answeredAt : 0;
      this.event(call, 'ended', { by: end.by, durationMs, stats: call.snap.stats });
      this.live.delete(call.snap.id);
      const snapshot = this.copy(call);
      this.ended.push(snapshot);
      call.endWaiters.splice(0).forEach((w) => w(snapshot));
    });
  }

  private whenEnded(call: CallRecord): Promise<CallSnapshot> {
    if (call.snap.state === 'ended') return Promise.resolve(this.copy(call));
    return new Promise((resolve) => call.endWaiters.push(resolve));
  }

  private setState(call: CallRecord, state: CallState, code?: number, reason?: string): void {
    call.snap.state = nextCallState(call.snap.state, state);
    if (code !== undefined) call.snap.code = code;
    if (reason !== undefined) call.snap.reason = reason;
    this.changed(call);
  }

  private event(call: CallRecord, kind: CallEventKind, extra: Partial<CallEvent> = {}): void {
    const event: CallEvent = {
      time: this.clock.now(),
      call: call.snap.id,
      line: call.snap.line,
      event: kind,
      server: call.snap.server,
      code: call.snap.code,
      reason: call.snap.reason,
      ...extra,
    };
    this.listeners.event.forEach((l) => l(event));
  }

  private changed(call: CallRecord): void {
    if (this.listeners.call.size === 0) return;
    const snapshot = this.copy(call);
    this.listeners.call.forEach((l) => l(snapshot));
  }

  private timer(call: CallRecord, ms: number, callback: () => void): void {
    const handle = this.clock.setTimer(() => {
      call.timers.delete(handle);
      callback();
    }, ms);
    call.timers.add(handle);
  }

  private copy(call: CallRecord): CallSnapshot {
    return { ...call.snap, remote: { ...call.snap.remote }, stats: call.snap.stats ? { ...call.snap.stats } : null };
  }

  private require(id: string): CallRecord {
    const call = this.live.get(id);
    if (!call) throw new Error(`no call "${id}"`);
    return call;
  }

  private connected(id: string): CallRecord {
    const call = this.require(id);
    if ((call.snap.state !== 'connected' && call.snap.state !== 'held') || !call.session || !call.media) throw new Error(`call ${id} is not connected (state ${call.snap.state})`);
    return call;
  }
}
