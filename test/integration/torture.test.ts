/**
 * RFC 4475 torture messages fed to a registered line as if its server sent them. Whatever the
 * bytes, the process must not crash or hang, the line must keep working, and an invalid request
 * gets a 4xx answer or is dropped. The peer is a loopback UDP socket playing registrar: Kamailio
 * would never send these.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineConfig, newEngine, registeredOn, waitForLine } from './engine-fixture';
import type { UdpPeer } from './udp-peer';
import { grantedContact, respond, startUdpPeer } from './udp-peer';

const TORTURE = join(__dirname, '..', '..', '..', 'shared', 'sip-torture');

interface TortureCase {
  name: string;
  file: string;
  valid: boolean;
  title: string;
}

const manifest = JSON.parse(readFileSync(join(TORTURE, 'manifest.json'), 'utf8')) as { messages: TortureCase[] };

let peer: UdpPeer;

/** Points every Via sent-by (and received/maddr) at the loopback peer, leaving other bytes alone. */
function toLoopback(bytes: Buffer, port: number): Buffer {
  const text = bytes.toString('latin1');
  const fixed = text
    .replace(/(SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z]+\s+)(\[[^\]]*\]|[^\s;:,]+)(\s*:\s*\d+)?/g, `$1127.0.0.1:${port}`)
    .replace(/(received|maddr)=[^\s;,]+/gi, '$1=127.0.0.1');
  return Buffer.from(fixed, 'latin1');
}

beforeAll(async () => {
  peer = await startUdpPeer((request, p) => {
    if (/^REGISTER /.test(request)) p.send(respond(request, 200, 'OK', grantedContact(request, 3600)));
    else if (/^OPTIONS /.test(request)) p.send(respond(request, 200, 'OK'));
  });
});

afterAll(() => peer?.close());

describe('RFC 4475 torture messages', () => {
  it('never crash the engine; the line stays registered and keeps working; invalid requests get 4xx or nothing', async () => {
    const e = newEngine();
    const port = peer.port;
    e.addLine(lineConfig({ id: 'tortured', username: 'alice', password: 'pw', servers: [{ host: '127.0.0.1', port, transport: 'udp' }], liveness: { interval: 0 } }));
    await waitForLine(e, 'tortured', registeredOn(0), 5_000, 'registered');
    expect(peer.client).not.toBeNull();
    expect(manifest.messages.length).toBe(50);

    const answers = new Map<string, string[]>();
    for (const c of manifest.messages) {
      const before = peer.received.length;
      peer.send(toLoopback(readFileSync(join(TORTURE, c.file)), port));
      await new Promise((r) => setTimeout(r, 40));
      answers.set(c.name, peer.received.slice(before).map((m) => m.split('\r\n')[0]!));
    }

    for (const c of manifest.messages) {
      const statuses = answers.get(c.name)!.filter((l) => l.startsWith('SIP/2.0 ')).map((l) => Number(l.split(' ')[1]));
      // We never accept a torture request (no 2xx to anything but a well-formed OPTIONS).
      if (!c.valid) expect(statuses.every((s) => s >= 400), `${c.name}: ${c.title} answered ${statuses}`).toBe(true);
    }

    expect(e.snapshot('tortured')).toMatchObject({ state: 'registered', server: 0 });
    // And it still works: a refresh goes out and is answered.
    const registersBefore = peer.received.filter((m) => m.startsWith('REGISTER ')).length;
    e.reRegisterAll('after torture');
    await waitForLine(e, 'tortured', (s) => s.state === 'registered' && peer.received.filter((m) => m.startsWith('REGISTER ')).length > registersBefore, 5_000, 'refreshed');
    await e.shutdown(2_000);
    expect(peer.received.at(-1)).toMatch(/^REGISTER /);
    expect(peer.received.at(-1)).toMatch(/\r\nExpires: 0\r\n/);
  });
});
