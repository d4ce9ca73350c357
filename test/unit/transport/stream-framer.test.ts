import { describe, expect, it } from 'vitest';
import { FramingError, StreamFramer } from '../../../main/sip/transport/stream-framer';
import { sipRequest, sipResponse } from './sip-samples';

/** Feeds `bytes` in the given chunk sizes (cycled) and collects everything the framer yields. */
function frame(bytes: Buffer, chunkSizes: number[], framer = new StreamFramer()): string[] {
  const out: string[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = chunkSizes[i % chunkSizes.length] as number;
    framer.push(bytes.subarray(offset, offset + size));
    offset += size;
    for (let message = framer.next(); message !== null; message = framer.next()) out.push(message);
  }
  return out;
}

const utf8Body = 'Grüße, 日本語 and 🎉 — bytes, not characters';
const message = sipRequest('MESSAGE', { body: utf8Body });
const reply = sipResponse(sipRequest('OPTIONS'), 200);

describe('StreamFramer (RFC 3261 §18.3)', () => {
  it('counts Content-Length in bytes of a multi-byte UTF-8 body', () => {
    expect(Buffer.byteLength(utf8Body)).toBeGreaterThan(utf8Body.length);
    expect(frame(Buffer.from(message + reply), [4096])).toEqual([message, reply]);
  });

  it('reassembles a message fed byte by byte, splitting multi-byte characters', () => {
    expect(frame(Buffer.from(message), [1])).toEqual([message]);
  });

  it('yields every message of arbitrary chunkings, including two in one chunk', () => {
    const stream = Buffer.from(message + reply + message);
    for (const sizes of [[2], [3, 7], [13], [64, 1], [message.length + 5], [stream.length]]) {
      expect(frame(stream, sizes)).toEqual([message, reply, message]);
    }
  });

  it('waits for a body that has not fully arrived', () => {
    const framer = new StreamFramer();
    const bytes = Buffer.from(message);
    framer.push(bytes.subarray(0, bytes.length - 1));
    expect(framer.next()).toBeNull();
    framer.push(bytes.subarray(bytes.length - 1));
    expect(framer.next()).toBe(message);
    expect(framer.pendingBytes).toBe(0);
  });

  it('reads compact and oddly cased Content-Length', () => {
    const compact = message.replace(/^Content-Length:/m, 'l :');
    const shouty = message.replace(/^Content-Length:/m, 'CONTENT-length:');
    expect(frame(Buffer.from(compact + shouty), [5])).toEqual([compact, shouty]);
  });

  it('returns a CRLFCRLF ping as is, for JsSIP to answer (RFC 5626 §3.5.1)', () => {
    expect(frame(Buffer.from(`\r\n\r\n${reply}\r\n\r\n`), [1])).toEqual(['\r\n\r\n', reply, '\r\n\r\n']);
  });

  it('consumes a CRLF pong and stray CRLFs before a start line (RFC 3261 §7.5)', () => {
    expect(frame(Buffer.from(`\r\n${reply}\n\r\n${reply}`), [1, 2])).toEqual([reply, reply]);
    const framer = new StreamFramer();
    framer.push(Buffer.from('\r\n'));
    expect(framer.next()).toBeNull(); // could still become a ping
  });

  it('rejects a message without Content-Length', () => {
    const bare = message.replace(/^Content-Length:.*\r\n/m, '');
    expect(() => frame(Buffer.from(bare), [4096])).toThrow(FramingError);
    expect(() => frame(Buffer.from(bare), [4096])).toThrow(/without Content-Length/);
  });

  it('rejects conflicting or malformed Content-Length', () => {
    const twice = message.replace(/^Content-Length: (\d+)/m, 'Content-Length: $1\r\nl: 3');
    expect(() => frame(Buffer.from(twice), [4096])).toThrow(/conflicting/);
    expect(() => frame(Buffer.from(message.replace(/^Content-Length: \d+/m, 'Content-Length: -4')), [4096])).toThrow(/invalid/);
  });

  it('caps a message and an unterminated header block', () => {
    expect(() => frame(Buffer.from(message), [4096], new StreamFramer(100))).toThrow(/exceeds 100/);
    expect(() => frame(Buffer.from(`OPTIONS sip:x SIP/2.0\r\n${'X: y\r\n'.repeat(40)}`), [4096], new StreamFramer(100))).toThrow(/header block exceeds/);
  });
});
