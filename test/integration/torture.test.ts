/**
 * RFC 4475 torture messages fed to a registered line as if its server sent them. Whatever the
 * bytes, the process must not crash or hang, the line must keep working, and an invalid request
 * gets a 4xx answer or is dropped. The peer is a loopback UDP socket playing registrar: Kamailio
 * would never send these.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineConfig, newEngine, registeredOn, waitForLine } from './engine-fixture';

const TORTURE = join(__dirname, '..', '..', '..', 'shared', 'sip-torture');

interface TortureCase {
  name: string;
  file: string;
  valid: boolean;
  title: string;
}

const manifest = JSON.parse(readFileSync(join(TORTURE, 'manifest.json'), 'utf8')) as { messages: TortureCase[] };

let peer: Socket;
let client: RemoteInfo | null = null;
const fromClient: string[] = [];

/** A minimal registrar answer: echo the transaction headers, grant an hour. */
function answer(request: string, code: number, reason: string): string {
  const keep = request.split('\r\n').filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(l));
  const contact = request.split('\r\n').find((l) => /^contact\s*:/i.test(l));
  const extra = code === 200 && contact ? [`${contact.replace(/;expires=\d+/, '')};expires=3600`] : [];
  return [`SIP/2.0 ${code} ${reason}`, ...keep.map((l) => (/^(to|t)\s*:/i.test(l) && !/tag=/.test(l) ? `${l};tag=peer` : l)), ...extra, 'Content-Length: 0', '', ''].join('\r\n');
}

/** Points every Via sent-by (and received/maddr) at the loopback peer, leaving other bytes alone. */
function toLoopback(bytes: Buffer, port: number): Buffer {
  const text = bytes.toString('latin1');
  const fixed = text
    .replace(/(SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z]+\s+)(\[[^\]]*\]|[^\s;:,]+)(\s*:\s*\d+)?/g, `$1127.0.0.1:${port}`)
    .replace(/(received|maddr)=[^\s;,]+/gi, '$1=127.0.0.1');
  return Buffer.from(fixed, 'latin1');
}

beforeAll(async () => {
  peer = createSocket('udp4');
  peer.on('message', (data, rinfo) => {
    const text = data.toString('utf8');
    fromClient.push(text);
    client = rinfo;
    if (/^REGISTER /.test(text)) peer.send(answer(text, 200, 'OK'), rinfo.port, rinfo.address);
    else if (/^OPTIONS /.test(text)) peer.send(answer(text, 200, 'OK'), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
});

afterAll(() => peer?.close());

describe('RFC 4475 torture messages', () => {
  it('never crash the engine; the line stays registered and keeps working; invalid requests get 4xx or nothing', async () => {
    const e = newEngine();
    const port = peer.address().port;
    e.addLine(lineConfig({ id: 'tortured', username: 'alice', password: 'pw', servers: [{ host: '127.0.0.1', port, transport: 'udp' }], liveness: { interval: 0 } }));
    await waitForLine(e, 'tortured', registeredOn(0), 5_000, 'registered');
    expect(client).not.toBeNull();
    expect(manifest.messages.length).toBe(50);

    const answers = new Map<string, string[]>();
    for (const c of manifest.messages) {
      const before = fromClient.length;
      peer.send(toLoopback(readFileSync(join(TORTURE, c.file)), port), client!.port, client!.address);
      await new Promise((r) => setTimeout(r, 40));
      answers.set(c.name, fromClient.slice(before).map((m) => m.split('\r\n')[0]!));
    }

    for (const c of manifest.messages) {
      const statuses = answers.get(c.name)!.filter((l) => l.startsWith('SIP/2.0 ')).map((l) => Number(l.split(' ')[1]));
      // We never accept a torture request (no 2xx to anything but a well-formed OPTIONS).
      if (!c.valid) expect(statuses.every((s) => s >= 400), `${c.name}: ${c.title} answered ${statuses}`).toBe(true);
    }

    expect(e.snapshot('tortured')).toMatchObject({ state: 'registered', server: 0 });
    // And it still works: a refresh goes out and is answered.
    const registersBefore = fromClient.filter((m) => m.startsWith('REGISTER ')).length;
    e.reRegisterAll('after torture');
    await waitForLine(e, 'tortured', (s) => s.state === 'registered' && fromClient.filter((m) => m.startsWith('REGISTER ')).length > registersBefore, 5_000, 'refreshed');
    await e.shutdown(2_000);
    expect(fromClient.at(-1)).toMatch(/^REGISTER /);
    expect(fromClient.at(-1)).toMatch(/\r\nExpires: 0\r\n/);
  });
});
