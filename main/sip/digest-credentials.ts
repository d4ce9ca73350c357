/**
 * A line's digest credentials toward one server (RFC 3261 §22, RFC 7616, RFC 8760, RFC 7615):
 * answers 401/407 challenges with the strongest algorithm offered, for every realm that
 * challenged, always from the clear password (never a realm-bound HA1, so a realm change is just
 * a new protection space), and authorizes later requests in a known space before being asked
 * (RFC 7616 §3.6, RFC 3261 §22.1: refresh and unregister then cost one round trip).
 *
 * State is kept per protection space (header + realm): nonce, nonce count, opaque, algorithm,
 * qop, and for `-sess` the cnonce the session key was made with. Per request chain a
 * {@link DigestAttempt} remembers which spaces were answered, so a second challenge for the same
 * space right after our answer is an authentication failure, except one `stale=true`.
 *
 * Nothing here logs: a password, HA1 or Authorization value never leaves this object except as
 * the header it builds.
 */
import { randomBytes } from 'node:crypto';
import type { ChallengeHeader } from './digest/challenge';
import { parseAuthParams, readDigestChallenges } from './digest/challenge';
import type { QopChoice } from './digest/challenge-selection';
import { selectChallenges, spaceKey } from './digest/challenge-selection';
import type { DigestAlgorithm } from './digest/digest-algorithm';
import { digestAlgorithm, digestResponse, hashedUsername } from './digest/digest-algorithm';

export type AuthorizationHeaderName = 'Authorization' | 'Proxy-Authorization';

/** A header to set on the request: `{ name: 'Authorization', value: 'Digest username="…", …' }`. */
export interface AuthorizationHeader {
  name: AuthorizationHeaderName;
  value: string;
}

/** The parts of a request the answer is computed over. */
export interface DigestRequest {
  method: string;
  /** The Request-URI exactly as it goes on the wire (the digest-uri). */
  uri: string;
  /** The body, hashed for `qop=auth-int`; absent or null means empty. */
  body?: string | null;
}

/** Why a 401/407 is not answered: it then goes to the caller as the final response. */
export interface DigestRefusal {
  /**
   * `no-password`: the line has none. `unsupported`: no challenge we can answer (e.g. only
   * AKAv1-MD5). `rejected`: the same realm challenged again right after our answer (wrong
   * password or user). `no-challenge`: a 401/407 without any challenge.
   */
  cause: 'no-password' | 'unsupported' | 'rejected' | 'no-challenge';
  /** A sentence without secrets, e.g. `realm "sip.example" refused the credentials`. */
  reason: string;
}

export type ChallengeAnswer = { kind: 'answer'; headers: AuthorizationHeader[] } | ({ kind: 'refused' } & DigestRefusal);

/** Every value of each challenge header of one response, in message order. */
export type ChallengeValues = Partial<Record<ChallengeHeader, readonly string[]>>;

interface ProtectionSpace {
  header: ChallengeHeader;
  realm: string;
  nonce: string;
  opaque: string | null;
  algorithm: DigestAlgorithm;
  qop: QopChoice;
  userhash: boolean;
  /** Requests already sent with this nonce (the next nc is this + 1). */
  nc: number;
  /** For `-sess`: the cnonce HA1 was made with, kept while the nonce lasts (see {@link DigestCredentials.header}). */
  sessionCnonce: string | null;
}

/**
 * One space's answers within one request chain:
 *
 * ```
 *   unanswered ──challenge──► answered ──stale=true──► answered-stale
 *                                │                          │
 *                                └── challenge ──► refused ◄┘ any challenge
 * ```
 */
type AttemptState = 'unanswered' | 'answered' | 'answered-stale' | 'refused';

function nextAttemptState(state: AttemptState, stale: boolean): AttemptState {
  switch (state) {
    case 'unanswered':
      return 'answered';
    // RFC 7616 §3.3 / RFC 3261 §22.4: stale=true means the password was right, the nonce old:
    // answer again with the new nonce, once.
    case 'answered':
      return stale ? 'answered-stale' : 'refused';
    case 'answered-stale':
      return 'refused';
    case 'refused':
      throw new Error('digest: a refused protection space cannot be answered again');
  }
}

/**
 * What one request chain (a request and its authenticated re-sends, one JsSIP RequestSender) has
 * answered so far. Credentials sent before a challenge do not count: a server that no longer
 * knows a reused nonce challenges afresh, and that is answered like a first challenge.
 */
export class DigestAttempt {
  private readonly states = new Map<string, AttemptState>();

  /** @internal Moves a space on by one challenge; returns the new state. */
  advance(key: string, stale: boolean): AttemptState {
    const next = nextAttemptState(this.states.get(key) ?? 'unanswered', stale);
    this.states.set(key, next);
    return next;
  }
}

const NC_MAX = 0xffffffff;

function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export class DigestCredentials {
  private readonly spaces = new Map<string, ProtectionSpace>();

  /**
   * @param username the authorization user (A1 user part).
   * @param password the clear password; empty means "answer no challenge".
   * @param newCnonce a fresh client nonce per call (unpredictable in production; fixed in tests).
   */
  constructor(
    private readonly username: string,
    private readonly password: string,
    private readonly newCnonce: () => string = () => randomBytes(12).toString('hex'),
  ) {}

  /**
   * Answers a 401/407: every Digest challenge of every WWW-/Proxy-Authenticate value is read,
   * the strongest supported answered per realm. The headers returned authorize the re-sent request
   * for every space we know (the challenged ones and, e.g., a proxy's from an earlier 407).
   */
  answer(values: ChallengeValues, request: DigestRequest, attempt: DigestAttempt): ChallengeAnswer {
    if (!this.password) return { kind: 'refused', cause: 'no-password', reason: 'the line has no password' };
    const read = readDigestChallenges(values);
    const selection = selectChallenges(read.digest);
    if (selection.chosen.length === 0) {
      const offered = [...selection.unsupported, ...read.ignored];
      if (offered.length === 0) return { kind: 'refused', cause: 'no-challenge', reason: 'the response carries no challenge' };
      return { kind: 'refused', cause: 'unsupported', reason: `no supported digest challenge (offered: ${offered.join(', ')})` };
    }
    for (const { challenge } of selection.chosen) {
      const key = spaceKey(challenge.header, challenge.realm);
      if (attempt.advance(key, challenge.stale) === 'refused') {
        this.spaces.delete(key);
        const who = challenge.header === 'Proxy-Authenticate' ? 'proxy realm' : 'realm';
        return { kind: 'refused', cause: 'rejected', reason: `${who} "${challenge.realm}" refused the credentials` };
      }
    }
    // RFC 3261 §22.2: a 401 comes from the UAS itself; a UAS realm it does not name is not its own
    // (any more: the registrar changed realm), so stop sending those credentials. A proxy earlier on
    // the path may still want its own, so Proxy-Authorization spaces stay.
    const wwwRealms = new Set(selection.chosen.filter((c) => c.challenge.header === 'WWW-Authenticate').map((c) => c.challenge.realm));
    if (wwwRealms.size > 0) {
      for (const [key, space] of this.spaces) if (space.header === 'WWW-Authenticate' && !wwwRealms.has(space.realm)) this.spaces.delete(key);
    }
    for (const { challenge, algorithm, qop } of selection.chosen) {
      this.spaces.set(spaceKey(challenge.header, challenge.realm), {
        header: challenge.header,
        realm: challenge.realm,
        nonce: challenge.nonce,
        opaque: challenge.opaque,
        algorithm,
        qop,
        userhash: challenge.userhash,
        nc: 0,
        sessionCnonce: null,
      });
    }
    return { kind: 'answer', headers: this.preemptive(request) };
  }

  /**
   * The headers for a new request in the spaces known so far (RFC 3261 §22.1, RFC 7616 §3.6:
   * a nonce may be reused with the nonce count increased). Empty before any challenge.
   */
  preemptive(request: DigestRequest): AuthorizationHeader[] {
    if (!this.password) return [];
    const headers: AuthorizationHeader[] = [];
    for (const space of this.spaces.values()) {
      const header = this.header(space, request);
      if (header) headers.push(header);
    }
    return headers;
  }

  /**
   * Reads an `Authentication-Info` (or `Proxy-Authentication-Info`) value of a final response:
   * a `nextnonce` is used from the next request on, counting from 1 (RFC 7615 §3, RFC 2617 §3.2.3).
   * @param realms the realms the request was authorized for with the matching header; the info
   *   names no realm, so it is applied only when there was exactly one.
   */
  acceptAuthenticationInfo(header: 'Authentication-Info' | 'Proxy-Authentication-Info', value: string, realms: readonly string[]): void {
    if (realms.length !== 1) return;
    const space = this.spaces.get(spaceKey(header === 'Authentication-Info' ? 'WWW-Authenticate' : 'Proxy-Authenticate', realms[0] as string));
    const nextnonce = parseAuthParams(value).get('nextnonce');
    if (!space || !nextnonce || nextnonce === space.nonce) return;
    space.nonce = nextnonce;
    space.nc = 0;
    space.sessionCnonce = null;
  }

  /**
   * Compatibility with the channel that builds REGISTERs itself: the first header for `method`
   * to `uri`, or null before any challenge or without a password.
   * @deprecated With {@link useDigest} (jssip-digest.ts) every request JsSIP sends is authorized.
   */
  authorize(method: string, uri: string): AuthorizationHeader | null {
    return this.preemptive({ method, uri })[0] ?? null;
  }

  /**
   * Compatibility: learns a protection space from an Authorization value JsSIP computed itself
   * (a UA without {@link useDigest}). Within the same nonce the count only moves forward.
   * @deprecated Not needed with {@link useDigest}.
   */
  remember(name: AuthorizationHeaderName, value: string): void {
    const params = parseAuthParams(value);
    const realm = params.get('realm');
    const nonce = params.get('nonce');
    const algorithm = digestAlgorithm(params.get('algorithm') ?? 'MD5');
    const header: ChallengeHeader = name === 'Authorization' ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    if (realm === undefined || !nonce || !algorithm) return;
    const key = spaceKey(header, realm);
    const qopParam = params.get('qop')?.toLowerCase();
    const qop: QopChoice = qopParam === 'auth' || qopParam === 'auth-int' ? qopParam : null;
    const parsedNc = Number.parseInt(params.get('nc') ?? '0', 16);
    const nc = Number.isFinite(parsedNc) ? parsedNc : 0;
    const known = this.spaces.get(key);
    if (known && known.nonce === nonce) {
      known.nc = Math.max(known.nc, nc);
      return;
    }
    this.spaces.set(key, {
      header,
      realm,
      nonce,
      opaque: params.get('opaque') ?? null,
      algorithm,
      qop,
      userhash: params.get('userhash')?.toLowerCase() === 'true',
      nc,
      sessionCnonce: algorithm.session ? (params.get('cnonce') ?? null) : null,
    });
  }

  /** Drops every protection space: the next request goes without credentials. */
  forget(): void {
    this.spaces.clear();
  }

  private header(space: ProtectionSpace, request: DigestRequest): AuthorizationHeader | null {
    // RFC 7616 §3.4: nc is 8 hex digits; past the last one the nonce cannot be reused.
    if (space.qop !== null && space.nc >= NC_MAX) return null;
    space.nc += 1;
    const nc = space.nc.toString(16).padStart(8, '0');
    // A new cnonce per request (RFC 7616 §3.4). With -sess the session key H(H(A1):nonce:cnonce)
    // is made once per nonce (RFC 7616 §3.4.2); servers differ on whether later requests may
    // change the cnonce, so keeping the first one while the nonce lasts satisfies both readings.
    let cnonce: string | null = null;
    if (space.algorithm.session) cnonce = space.sessionCnonce ??= this.newCnonce();
    else if (space.qop !== null) cnonce = this.newCnonce();
    const response = digestResponse({
      algorithm: space.algorithm,
      username: this.username,
      realm: space.realm,
      password: this.password,
      nonce: space.nonce,
      cnonce,
      nc,
      qop: space.qop,
      method: request.method,
      uri: request.uri,
      body: request.body ?? '',
    });
    const username = space.userhash ? hashedUsername(space.algorithm, this.username, space.realm) : this.username;
    const params = [
      `username=${quoted(username)}`,
      `realm=${quoted(space.realm)}`,
      `nonce=${quoted(space.nonce)}`,
      `uri=${quoted(request.uri)}`,
      `response=${quoted(response)}`,
      `algorithm=${space.algorithm.token}`,
    ];
    if (space.qop !== null) params.push(`cnonce=${quoted(cnonce as string)}`, `qop=${space.qop}`, `nc=${nc}`);
    else if (cnonce !== null) params.push(`cnonce=${quoted(cnonce)}`);
    if (space.opaque !== null) params.push(`opaque=${quoted(space.opaque)}`);
    if (space.userhash) params.push('userhash=true');
    return { name: space.header === 'WWW-Authenticate' ? 'Authorization' : 'Proxy-Authorization', value: `Digest ${params.join(', ')}` };
  }
}
