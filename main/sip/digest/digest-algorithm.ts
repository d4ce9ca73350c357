/**
 * The Digest algorithms we answer and the response formula (RFC 7616 §3.4, RFC 2617 §3.2.2,
 * RFC 2069 for the form without qop). Pure functions: no state, no randomness.
 */
import { createHash } from 'node:crypto';

/** A supported `algorithm` value. */
export interface DigestAlgorithm {
  /** The token as written in the Authorization header, e.g. `SHA-256-sess`. */
  token: string;
  /** Node's name of the hash (`sha512-256` is SHA-512/256 of FIPS 180-4, as RFC 7616 §3.2 asks). */
  hash: 'md5' | 'sha256' | 'sha512-256';
  /** `-sess`: HA1 is bound to the nonce and cnonce (RFC 7616 §3.4.2). */
  session: boolean;
  /** Higher is stronger: SHA-512-256 > SHA-256 > MD5 (RFC 8760 §2.4 lets the UAC's preference decide). */
  strength: number;
}

const BASES = [
  { name: 'MD5', hash: 'md5', strength: 1 },
  { name: 'SHA-256', hash: 'sha256', strength: 2 },
  { name: 'SHA-512-256', hash: 'sha512-256', strength: 3 },
] as const;

/** The algorithm named by `token` (case-insensitive), or null when we do not support it (e.g. AKAv1-MD5). */
export function digestAlgorithm(token: string): DigestAlgorithm | null {
  const upper = token.toUpperCase();
  for (const base of BASES) {
    if (upper === base.name) return { token: base.name, hash: base.hash, session: false, strength: base.strength };
    if (upper === `${base.name}-SESS`) return { token: `${base.name}-sess`, hash: base.hash, session: true, strength: base.strength };
  }
  return null;
}

/** Lower-case hex digest of the UTF-8 bytes of `text`. */
export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm.hash).update(text, 'utf8').digest('hex');
}

/** Everything the response value depends on. */
export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  /** The user name as in A1: the clear name even when `userhash` hides it in the header. */
  username: string;
  realm: string;
  password: string;
  nonce: string;
  /** Required with a qop and with a `-sess` algorithm. */
  cnonce: string | null;
  /** 8 lower-case hex digits (RFC 7616 §3.4: nc). */
  nc: string;
  qop: 'auth' | 'auth-int' | null;
  method: string;
  /** The digest-uri: the Request-URI exactly as sent (RFC 3261 §22.4 item 3). */
  uri: string;
  /** The message body for `auth-int` (empty when the request has none). */
  body: string;
}

/**
 * The `response` value.
 * @throws Error when a `-sess` algorithm or a qop is used without a cnonce.
 */
export function digestResponse(input: DigestResponseInput): string {
  const { algorithm: alg, nonce, cnonce, qop } = input;
  const H = (text: string): string => digestHash(alg, text);
  // RFC 7616 §3.4.2: A1 = username:realm:passwd, and for -sess H(that):nonce:cnonce.
  let ha1 = H(`${input.username}:${input.realm}:${input.password}`);
  if (alg.session) {
    if (!cnonce) throw new Error(`digest: ${alg.token} needs a cnonce`);
    ha1 = H(`${ha1}:${nonce}:${cnonce}`);
  }
  // RFC 7616 §3.4.3: A2 = method:uri, and for auth-int method:uri:H(entity-body).
  const ha2 = qop === 'auth-int' ? H(`${input.method}:${input.uri}:${H(input.body)}`) : H(`${input.method}:${input.uri}`);
  if (qop === null) return H(`${ha1}:${nonce}:${ha2}`); // RFC 2069 §2.1.1 (RFC 2617 §3.2.2.1 without qop)
  if (!cnonce) throw new Error('digest: a qop needs a cnonce');
  // RFC 7616 §3.4.1: response = KD(H(A1), nonce:nc:cnonce:qop:H(A2)).
  return H(`${ha1}:${nonce}:${input.nc}:${cnonce}:${qop}:${ha2}`);
}

/** RFC 7616 §3.4.4: with `userhash=true` the username parameter is H(username:realm). */
export function hashedUsername(algorithm: DigestAlgorithm, username: string, realm: string): string {
  return digestHash(algorithm, `${username}:${realm}`);
}
