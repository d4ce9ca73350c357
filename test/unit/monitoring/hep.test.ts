import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
// sipcapture's own decoder, as an independent reader of what our encoder writes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hepJs = require('hep-js') as { decapsulate(message: Buffer): Record<string, Record<string, unknown> | string> | false };
import { encodeHep3, IPPROTO_TCP, IPPROTO_UDP } from '../../../main/monitoring/hep-encoder';
import { callIdOf, createHepExporter, hepFieldsOf, parseHepTarget } from '../../../main/monitoring/hep-exporter';
import type { TraceRecord } from '../../../main/sip/transport/sip-socket';

const REGISTER = [
  'REGISTER sip:trunkline.test SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKabc',
  'From: "Zoë Åberg" <sip:1001@trunkline.test>;tag=1',
  'To: <sip:1001@trunkline.test>',
  'Call-ID: 5f1c@127.0.0.1',
  'CSeq: 2 REGISTER',
  'Authorization: Digest username="1001", realm="trunkline.test", nonce="n", uri="sip:trunkline.test", response="0123456789abcdef0123456789abcdef", algorithm=MD5',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

/** Reads our chunks back by type (vendor 0), independently of both encoders. */
function chunks(packet: Buffer): Map<number, Buffer> {
  expect(packet.subarray(0, 4).toString('ascii')).toBe('HEP3');
  expect(packet.readUInt16BE(4)).toBe(packet.length);
  const out = new Map<number, Buffer>();
  for (let at = 6; at < packet.length;) {
    expect(packet.readUInt16BE(at)).toBe(0);
    const type = packet.readUInt16BE(at + 2);
    const length = packet.readUInt16BE(at + 4);
    out.set(type, packet.subarray(at + 6, at + length));
    at += length;
  }
  return out;
}

describe('HEPv3 encoder', () => {
  it('IPv4/UDP: every chunk as the spec says, and hep-js decodes it to the same values', () => {
    const packet = encodeHep3({ ipProtocol: IPPROTO_UDP, srcIp: '127.0.0.1', srcPort: 40000, dstIp: '127.0.0.2', dstPort: 5060, timeMs: 1_800_000_000_123.456, captureId: 2001, authKey: 'hep-pass', correlationId: '5f1c@127.0.0.1', payload: REGISTER });
    const c = chunks(packet);
    expect(c.get(1)).toEqual(Buffer.from([2]));
    expect(c.get(2)).toEqual(Buffer.from([17]));
    expect([...c.get(3)!]).toEqual([127, 0, 0, 1]);
    expect([...c.get(4)!]).toEqual([127, 0, 0, 2]);
    expect(c.get(7)!.readUInt16BE()).toBe(40000);
    expect(c.get(8)!.readUInt16BE()).toBe(5060);
    expect(c.get(9)!.readUInt32BE()).toBe(1_800_000_000);
    expect(c.get(10)!.readUInt32BE()).toBe(123_456);
    expect(c.get(11)).toEqual(Buffer.from([1]));
    expect(c.get(12)!.readUInt32BE()).toBe(2001);
    expect(c.get(14)!.toString()).toBe('hep-pass');
    expect(c.get(17)!.toString()).toBe('5f1c@127.0.0.1');
    // The payload is whole, non-ASCII display name included (hep-js itself would cut it short).
    expect(c.get(15)!.toString('utf8')).toBe(REGISTER);

    const decoded = hepJs.decapsulate(packet);
    expect(decoded).not.toBe(false);
    const rcinfo = (decoded as { rcinfo: Record<string, unknown> }).rcinfo;
    expect(rcinfo).toMatchObject({ protocolFamily: 2, protocol: 17, srcIp: '127.0.0.1', dstIp: '127.0.0.2', srcPort: 40000, dstPort: 5060, timeSeconds: 1_800_000_000, timeUseconds: 123_456, payloadType: 1, captureId: 2001, capturePass: 'hep-pass', correlation_id: '5f1c@127.0.0.1' });
    expect((decoded as { payload: string }).payload).toBe(REGISTER);
  });

  it('IPv6/TCP: family 10, 16-byte address chunks 5 and 6', () => {
    const c = chunks(encodeHep3({ ipProtocol: IPPROTO_TCP, srcIp: '::1', srcPort: 1, dstIp: '2001:db8::5', dstPort: 5061, timeMs: 0, captureId: 1, authKey: null, correlationId: null, payload: 'x' }));
    expect(c.get(1)).toEqual(Buffer.from([10]));
    expect(c.get(2)).toEqual(Buffer.from([6]));
    expect(c.get(5)!.toString('hex')).toBe('00000000000000000000000000000001');
    expect(c.get(6)!.toString('hex')).toBe('20010db8000000000000000000000005');
    expect(c.has(3) || c.has(14) || c.has(17)).toBe(false);
  });

  it('refuses a host name where an IP belongs', () => {
    expect(() => encodeHep3({ ipProtocol: 17, srcIp: 'pbx.example', srcPort: 1, dstIp: '127.0.0.1', dstPort: 1, timeMs: 0, captureId: 1, authKey: null, correlationId: null, payload: '' })).toThrow(TypeError);
  });
});

describe('HEP exporter', () => {
  const record = (fields: Partial<TraceRecord> = {}): TraceRecord => ({
    direction: 'sent', text: REGISTER, retransmission: false, time: 1_800_000_000_000, transport: 'udp',
    local: { address: '127.0.0.1', port: 40000 }, remote: { address: '127.0.0.2', port: 5060 }, ...fields,
  });

  it('sent: local → remote; received: remote → local; TLS and WS count as TCP', () => {
    expect(hepFieldsOf(record())).toEqual({ srcIp: '127.0.0.1', srcPort: 40000, dstIp: '127.0.0.2', dstPort: 5060, ipProtocol: 17 });
    expect(hepFieldsOf(record({ direction: 'received', transport: 'wss' }))).toEqual({ srcIp: '127.0.0.2', srcPort: 5060, dstIp: '127.0.0.1', dstPort: 40000, ipProtocol: 6 });
    expect(hepFieldsOf(record({ remote: null }))).toBeNull();
  });

  it('Call-ID in long and compact form', () => {
    expect(callIdOf(REGISTER)).toBe('5f1c@127.0.0.1');
    expect(callIdOf('OPTIONS sip:x SIP/2.0\r\ni: abc\r\n\r\nCall-ID: body')).toBe('abc');
    expect(callIdOf('nothing')).toBeNull();
  });

  it('--hep parsing: udp and an IP only', () => {
    expect(parseHepTarget('udp:127.0.0.1:9060')).toEqual({ host: '127.0.0.1', port: 9060 });
    expect(parseHepTarget('udp:[::1]:9060')).toEqual({ host: '::1', port: 9060 });
    for (const bad of ['tcp:127.0.0.1:9060', 'udp:homer:9060', '127.0.0.1:9060', 'udp:127.0.0.1:0']) expect(() => parseHepTarget(bad)).toThrow(/^--hep: must be udp:IP:PORT/);
  });

  async function roundTrip(unmasked: boolean, secret: string, text: string): Promise<Buffer> {
    const receiver = createSocket('udp4');
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
    const got = new Promise<Buffer>((resolve) => receiver.once('message', resolve));
    const exporter = createHepExporter({ target: { host: '127.0.0.1', port: receiver.address().port }, captureId: 7, password: 'pw', unmasked });
    exporter.exportRecord(record({ text }), [secret]);
    const packet = await got;
    expect(exporter.stats()).toEqual({ sent: 1, dropped: 0, errors: 0 });
    await exporter.close();
    receiver.close();
    return packet;
  }

  it('masks Authorization and the line secret exactly as the trace does; unmasked only when asked', async () => {
    const withSecret = REGISTER.replace('Content-Length: 0', 'X-Leak: hunter2\r\nContent-Length: 0');
    const masked = chunks(await roundTrip(false, 'hunter2', withSecret)).get(15)!.toString('utf8');
    expect(masked).toContain('Authorization: Digest username="1001", realm="trunkline.test", uri="sip:trunkline.test", algorithm=MD5, response=<masked>');
    expect(masked).not.toContain('0123456789abcdef');
    expect(masked).not.toContain('hunter2');
    expect(masked).toContain('X-Leak: <masked>');
    const raw = chunks(await roundTrip(true, 'hunter2', withSecret)).get(15)!.toString('utf8');
    expect(raw).toBe(withSecret);
  });

  it('a record without addresses is dropped and counted, never thrown', async () => {
    const exporter = createHepExporter({ target: { host: '127.0.0.1', port: 9 } });
    exporter.exportRecord(record({ local: null }), []);
    expect(exporter.stats()).toEqual({ sent: 0, dropped: 1, errors: 0 });
    await exporter.close();
  });
});
