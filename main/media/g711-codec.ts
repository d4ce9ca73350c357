/**
 * G.711 µ-law and A-law (ITU-T G.711; RTP payload names PCMU/PCMA, RFC 3551 §4.5.14), by
 * alawmulaw. One byte per sample at 8 kHz.
 */
import { alaw, mulaw } from 'alawmulaw';
import type { G711Codec } from './media-protocol';

export function encodeG711(codec: G711Codec, samples: Int16Array): Buffer {
  const encoded = codec === 'PCMU' ? mulaw.encode(samples) : alaw.encode(samples);
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

export function decodeG711(codec: G711Codec, payload: Buffer): Int16Array {
  const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  return codec === 'PCMU' ? mulaw.decode(bytes) : alaw.decode(bytes);
}
