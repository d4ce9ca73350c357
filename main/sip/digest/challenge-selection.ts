/**
 * Choosing which challenges to answer: one per protection space (the header that carried it and
 * its realm), the strongest we support. Pure.
 */
import type { ChallengeHeader, DigestChallenge } from './challenge';
import type { DigestAlgorithm } from './digest-algorithm';
import { digestAlgorithm } from './digest-algorithm';

export type QopChoice = 'auth' | 'auth-int' | null;

/** A challenge we will answer, with the algorithm and qop of the answer. */
export interface ChosenChallenge {
  challenge: DigestChallenge;
  algorithm: DigestAlgorithm;
  qop: QopChoice;
}

export interface Selection {
  /** One per protection space, in the server's order of the challenges chosen. */
  chosen: ChosenChallenge[];
  /** Challenges we cannot answer, described (`AKAv1-MD5`, `MD5-sess without qop`, `qop=auth-conf`). */
  unsupported: string[];
}

/** A protection space (RFC 7616 §3.3 realm; proxies and the UAS are separate, RFC 3261 §22.3). */
export function spaceKey(header: ChallengeHeader, realm: string): string {
  return `${header}\u0000${realm}`;
}

/**
 * The qop to answer with, or undefined when none offered is supported.
 * `auth` when offered, else `auth-int` (a body hash buys little in SIP and breaks when a proxy
 * rewrites the body), else none for an RFC 2069 challenge without qop.
 */
export function chooseQop(offered: readonly string[]): QopChoice | undefined {
  if (offered.length === 0) return null;
  if (offered.includes('auth')) return 'auth';
  if (offered.includes('auth-int')) return 'auth-int';
  return undefined;
}

/**
 * Per protection space, the strongest supported challenge: SHA-512-256 > SHA-256 > MD5, the
 * plain form before `-sess` at equal strength, then the server's order (RFC 8760 §2.4: the UAC
 * may follow a local algorithm preference over the topmost header).
 */
export function selectChallenges(challenges: readonly DigestChallenge[]): Selection {
  const best = new Map<string, ChosenChallenge>();
  const unsupported: string[] = [];
  for (const challenge of challenges) {
    const algorithm = digestAlgorithm(challenge.algorithm);
    if (!algorithm) {
      unsupported.push(challenge.algorithm);
      continue;
    }
    const qop = chooseQop(challenge.qop);
    if (qop === undefined) {
      unsupported.push(`qop=${challenge.qop.join(',')}`);
      continue;
    }
    // RFC 7616 §3.4.2 needs the cnonce for -sess, and only a qop carries one to the server.
    if (algorithm.session && qop === null) {
      unsupported.push(`${algorithm.token} without qop`);
      continue;
    }
    const key = spaceKey(challenge.header, challenge.realm);
    const current = best.get(key);
    if (!current || rank(algorithm) > rank(current.algorithm)) best.set(key, { challenge, algorithm, qop });
  }
  const chosen = [...best.values()].sort((a, b) => a.challenge.order - b.challenge.order);
  return { chosen, unsupported };
}

function rank(algorithm: DigestAlgorithm): number {
  return algorithm.strength * 2 + (algorithm.session ? 0 : 1);
}
