/**
 * Digest credentials sent before being asked (RFC 2617 §3.3, RFC 3261 §22.1: a client may reuse
 * a nonce for later requests in the same protection space). After the first challenge, refreshes
 * and the unregister on quit carry Authorization at once, so each costs one round trip instead of
 * two. A server that refuses the reused nonce answers 401 (often `stale=true`) and JsSIP's
 * RequestSender answers that challenge as usual: nothing is lost, only the saving.
 */
import { createHash, randomBytes } from 'node:crypto';

interface Challenge {
  header: 'Authorization' | 'Proxy-Authorization';
  realm: string;
  nonce: string;
  opaque: string | null;
  qop: 'auth' | null;
  /** Nonce count already used with this nonce. */
  nc: number;
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

function param(value: string, name: string): string | null {
  const match = new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*(?:"([^"]*)"|([^\\s,]+))`, 'i').exec(value);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

export class DigestCredentials {
  private challenge: Challenge | null = null;

  constructor(
    private readonly username: string,
    private readonly password: string,
    private readonly newCnonce: () => string = () => randomBytes(8).toString('hex'),
  ) {}

  /** Learns the protection space from a request JsSIP just authenticated (its header value). */
  remember(header: 'Authorization' | 'Proxy-Authorization', value: string): void {
    const realm = param(value, 'realm');
    const nonce = param(value, 'nonce');
    const algorithm = param(value, 'algorithm');
    if (!realm || !nonce || (algorithm !== null && algorithm.toUpperCase() !== 'MD5')) {
      this.challenge = null;
      return;
    }
    const qop = param(value, 'qop');
    const nc = Number.parseInt(param(value, 'nc') ?? '1', 16);
    this.challenge = { header, realm, nonce, opaque: param(value, 'opaque'), qop: qop === 'auth' ? 'auth' : null, nc: Number.isFinite(nc) ? nc : 1 };
  }

  forget(): void {
    this.challenge = null;
  }

  /** The header to send with `method` to `uri`, or null before any challenge (or with no password). */
  authorize(method: string, uri: string): { name: string; value: string } | null {
    const c = this.challenge;
    if (!c || !this.password) return null;
    const ha1 = md5(`${this.username}:${c.realm}:${this.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const params = [`username="${this.username}"`, `realm="${c.realm}"`, `nonce="${c.nonce}"`, `uri="${uri}"`, 'algorithm=MD5'];
    if (c.qop === 'auth') {
      // RFC 2617 §3.2.2: the nonce count goes up with every request that reuses the nonce.
      c.nc += 1;
      const nc = c.nc.toString(16).padStart(8, '0');
      const cnonce = this.newCnonce();
      params.push(`response="${md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`)}"`, 'qop=auth', `cnonce="${cnonce}"`, `nc=${nc}`);
    } else {
      params.push(`response="${md5(`${ha1}:${c.nonce}:${ha2}`)}"`);
    }
    if (c.opaque !== null) params.push(`opaque="${c.opaque}"`);
    return { name: c.header, value: `Digest ${params.join(', ')}` };
  }
}
