/**
 * Reading authentication challenges: every `WWW-Authenticate` and `Proxy-Authenticate` value of a
 * 401/407, each of which may hold several challenges (RFC 7235 §4.1: `#challenge`), and the
 * `Authentication-Info` / `Proxy-Authentication-Info` of a final response (RFC 7615 §3, §4).
 *
 * Only the Digest scheme is turned into {@link DigestChallenge}s; other schemes (Bearer, Basic, a
 * vendor's own) are listed by name so a refusal can say what was offered.
 */

/** Which header carried a challenge, and so which header must carry its answer (RFC 3261 §22.2, §22.3). */
export type ChallengeHeader = 'WWW-Authenticate' | 'Proxy-Authenticate';

/** One challenge of any scheme: the scheme as sent and its auth-params, names lower-cased. */
export interface AuthChallenge {
  scheme: string;
  params: Map<string, string>;
}

/** One Digest challenge (RFC 7616 §3.3, RFC 3261 §22.4). */
export interface DigestChallenge {
  header: ChallengeHeader;
  realm: string;
  nonce: string;
  opaque: string | null;
  /** The `algorithm` token upper-cased, `MD5` when absent (RFC 7616 §3.3: "If this is not present, it is assumed to be MD5"). */
  algorithm: string;
  stale: boolean;
  /** The `qop` options offered, lower-cased; empty for an RFC 2069 challenge without qop. */
  qop: string[];
  userhash: boolean;
  /** Position among all challenges of the response, header order first: the server's preference (RFC 7616 §3.7). */
  order: number;
}

/** What was found in a response's challenge headers. */
export interface ReadChallenges {
  digest: DigestChallenge[];
  /** Schemes other than Digest, and Digest challenges without a realm or nonce, described for a refusal. */
  ignored: string[];
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/**
 * Splits one header value into challenges (RFC 7235 §2.1, §4.1). Tolerant: a malformed stretch is
 * skipped rather than fatal, because one unreadable challenge must not hide a readable one.
 */
export function parseChallenges(value: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let current: AuthChallenge | null = null;
  let i = 0;
  const n = value.length;
  const skipSpace = (): void => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN.test(value[i] as string)) i++;
    return value.slice(start, i);
  };
  const readQuoted = (): string => {
    // RFC 7230 §3.2.6: quoted-pair `\x` stands for x.
    let text = '';
    i++;
    while (i < n && value[i] !== '"') {
      if (value[i] === '\\' && i + 1 < n) i++;
      text += value[i];
      i++;
    }
    i++;
    return text;
  };
  while (i < n) {
    while (i < n && /[\s,]/.test(value[i] as string)) i++;
    if (i >= n) break;
    const name = readToken();
    if (!name) {
      i++;
      continue;
    }
    skipSpace();
    if (value[i] === '=') {
      i++;
      skipSpace();
      // token68 (RFC 7235 §2.1): `name=` followed by more `=` or nothing: a blob, not a parameter.
      if (i >= n || value[i] === '=' || value[i] === ',') {
        while (i < n && value[i] === '=') i++;
        continue;
      }
      const paramValue = value[i] === '"' ? readQuoted() : readToken();
      current?.params.set(name.toLowerCase(), paramValue);
    } else {
      current = { scheme: name, params: new Map() };
      out.push(current);
    }
  }
  return out;
}

/**
 * Reads every Digest challenge of a response, from all the header values given for each header name.
 * @param values header name → every value of that header, in message order.
 */
export function readDigestChallenges(values: Partial<Record<ChallengeHeader, readonly string[]>>): ReadChallenges {
  const digest: DigestChallenge[] = [];
  const ignored: string[] = [];
  let order = 0;
  for (const header of ['WWW-Authenticate', 'Proxy-Authenticate'] as const) {
    for (const value of values[header] ?? []) {
      for (const challenge of parseChallenges(value)) {
        order++;
        if (challenge.scheme.toLowerCase() !== 'digest') {
          ignored.push(challenge.scheme);
          continue;
        }
        const realm = challenge.params.get('realm');
        const nonce = challenge.params.get('nonce');
        if (realm === undefined || !nonce) {
          ignored.push('Digest without realm or nonce');
          continue;
        }
        const qop = challenge.params.get('qop');
        digest.push({
          header,
          realm,
          nonce,
          opaque: challenge.params.get('opaque') ?? null,
          algorithm: (challenge.params.get('algorithm') ?? 'MD5').toUpperCase(),
          // RFC 7616 §3.3: stale is case-insensitive "true".
          stale: challenge.params.get('stale')?.toLowerCase() === 'true',
          qop: qop ? qop.split(',').map((q) => q.trim().toLowerCase()).filter(Boolean) : [],
          userhash: challenge.params.get('userhash')?.toLowerCase() === 'true',
          order,
        });
      }
    }
  }
  return { digest, ignored };
}

/** The auth-params of an `Authentication-Info` or `Authorization` value (no scheme, or `Digest` first). */
export function parseAuthParams(value: string): Map<string, string> {
  // An Authentication-Info value is a bare #auth-param list (RFC 7615 §3); give it a scheme to parse.
  const text = /^\s*digest\s/i.test(value) ? value : `Info ${value}`;
  return parseChallenges(text)[0]?.params ?? new Map();
}
