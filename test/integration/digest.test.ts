import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lineConfig, newEngine, registeredOn, waitForLine } from './engine-fixture';
import { grantedContact, respond, startUdpPeer } from './udp-peer';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function digestParams(request: string): Record<string, string> {
  const header = request.split('\r\n').find((l) => /^authorization\s*:/i.test(l));
  if (!header) return {};
  return Object.fromEntries([...header.matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1]!, m[2]!]));
}

describe('digest authentication', () => {
  it('stale=true is answered again with the new nonce, and the response is right for the password (RFC 2617 §3.2.1)', async () => {
    const nonces = ['first-nonce', 'second-nonce'];
    const peer = await startUdpPeer((request, p) => {
      if (!request.startsWith('REGISTER ')) return p.send(respond(request, 200, 'OK'));
      const auth = digestParams(request);
      const challenge = (nonce: string, stale: boolean) => respond(request, 401, 'Unauthorized', [`WWW-Authenticate: Digest realm="trunkline.test", nonce="${nonce}", algorithm=MD5${stale ? ', stale=true' : ''}`]);
      if (!auth.nonce) return p.send(challenge(nonces[0]!, false));
      // The first nonce "expires" as soon as it is used: the client must retry with the new one.
      if (auth.nonce === nonces[0]) return p.send(challenge(nonces[1]!, true));
      const ha1 = md5(`alice:trunkline.test:s3cret`);
      const ha2 = md5(`REGISTER:${auth.uri}`);
      const expected = md5(`${ha1}:${auth.nonce}:${ha2}`);
      p.send(auth.response === expected ? respond(request, 200, 'OK', grantedContact(request, 300)) : respond(request, 403, 'Forbidden'));
    });
    const e = newEngine();
    try {
      e.addLine(lineConfig({ id: 'stale', username: 'alice', password: 's3cret', servers: [{ host: '127.0.0.1', port: peer.port }], liveness: { interval: 0 } }));
      const s = await waitForLine(e, 'stale', registeredOn(0), 5_000, 'registered');
      expect(s.expires).toBe(300);
      const registers = peer.received.filter((m) => m.startsWith('REGISTER '));
      expect(registers.map((r) => digestParams(r).nonce ?? null)).toEqual([null, 'first-nonce', 'second-nonce']);
      expect(new Set(registers.map((r) => /Call-ID: (\S+)/i.exec(r)?.[1])).size).toBe(1);
      expect(registers.map((r) => Number(/CSeq: (\d+)/i.exec(r)?.[1]))).toEqual([1, 2, 3]);
    } finally {
      await e.shutdown(500);
      peer.close();
    }
  });
});
