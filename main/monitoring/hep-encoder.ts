/**
 * HEPv3 encoding (the Homer project's "HEP3 Network Protocol Specification"): a packet is the
 * 4-byte id "HEP3", a 16-bit total length, then chunks of { vendor id 16 bit, type id 16 bit,
 * length 16 bit (header included), value }, all in network byte order. Vendor 0 (generic) types:
 *
 * | type | value                         | type | value                       |
 * |------|-------------------------------|------|-----------------------------|
 * | 1    | IP family (2 = IPv4, 10 = IPv6) | 9  | timestamp, seconds          |
 * | 2    | IP protocol (17 UDP, 6 TCP)   | 10   | timestamp, microseconds     |
 * | 3/4  | source/destination IPv4       | 11   | protocol type (1 = SIP)     |
 * | 5/6  | source/destination IPv6       | 12   | capture agent id            |
 * | 7/8  | source/destination port       | 14   | auth key (password)         |
 * | 15   | captured payload              | 17   | correlation id (Call-ID)    |
 *
 * Why not hep-js (sipcapture's encoder, installed): it writes IPv4 chunks only (an IPv6 address
 * becomes garbage), and sizes string chunks by UTF-16 length instead of bytes, so a SIP message
 * with a non-ASCII display name is cut short. This encoder is small, and its output is checked
 * against hep-js's decoder and against sngrep in the tests.
 */
import { isIP } from 'node:net';

/** HEP protocol type of a SIP payload. */
export const HEP_PROTO_SIP = 1;
/** IP protocol numbers (IANA): the HEP "IP protocol" chunk. */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
/** Address family numbers as HEP uses them (Linux AF_INET/AF_INET6). */
export const HEP_AF_INET = 2;
export const HEP_AF_INET6 = 10;

/** One captured message to encode. */
export interface HepPacket {
  /** IPPROTO_UDP or IPPROTO_TCP. */
  ipProtocol: number;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** Capture time, epoch ms (may carry a fraction). */
  timeMs: number;
  captureId: number;
  /** The collector's password (auth key chunk); omitted when null. */
  authKey: string | null;
  /** The correlation id chunk (a SIP Call-ID); omitted when null. */
  correlationId: string | null;
  /** The SIP message as sent or received. */
  payload: string;
}

function chunk(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(0x0000, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(6 + value.length, 4);
  return Buffer.concat([head, value]);
}

function u8(value: number): Buffer {
  return Buffer.from([value & 0xff]);
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value & 0xffff);
  return b;
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

function ipv4(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

/** RFC 4291 §2.2 text → 16 bytes (an embedded IPv4 tail included). */
function ipv6(address: string): Buffer {
  let text = address.split('%')[0]!;
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4tail) {
    const [a, b, c, d] = v4tail[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4tail[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16) || 0, i * 2));
  return out;
}

/**
 * Encodes one HEPv3 packet. Both addresses must be of one family (an IPv4 one is written as
 * `::ffff:a.b.c.d` when the other is IPv6). Throws a TypeError for an address that is not an IP.
 */
export function encodeHep3(packet: HepPacket): Buffer {
  const srcFamily = isIP(packet.srcIp);
  const dstFamily = isIP(packet.dstIp);
  if (srcFamily === 0 || dstFamily === 0) throw new TypeError(`HEP needs IP addresses (got "${packet.srcIp}" → "${packet.dstIp}")`);
  const v6 = srcFamily === 6 || dstFamily === 6;
  const asV6 = (ip: string): string => (isIP(ip) === 4 ? `::ffff:${ip}` : ip);
  const seconds = Math.floor(packet.timeMs / 1000);
  const micros = Math.floor((packet.timeMs - seconds * 1000) * 1000);
  const chunks = [
    chunk(1, u8(v6 ? HEP_AF_INET6 : HEP_AF_INET)),
    chunk(2, u8(packet.ipProtocol)),
    v6 ? chunk(5, ipv6(asV6(packet.srcIp))) : chunk(3, ipv4(packet.srcIp)),
    v6 ? chunk(6, ipv6(asV6(packet.dstIp))) : chunk(4, ipv4(packet.dstIp)),
    chunk(7, u16(packet.srcPort)),
    chunk(8, u16(packet.dstPort)),
    chunk(9, u32(seconds)),
    chunk(10, u32(micros)),
    chunk(11, u8(HEP_PROTO_SIP)),
    chunk(12, u32(packet.captureId)),
    ...(packet.authKey === null ? [] : [chunk(14, Buffer.from(packet.authKey, 'utf8'))]),
    ...(packet.correlationId === null ? [] : [chunk(17, Buffer.from(packet.correlationId, 'utf8'))]),
    chunk(15, Buffer.from(packet.payload, 'utf8')),
  ];
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(6);
  head.write('HEP3', 0, 'ascii');
  head.writeUInt16BE(6 + body.length, 4);
  return Buffer.concat([head, body]);
}
