/**
 * SDES-SRTP (RFC 4568) keys → werift-rtp SRTP and SRTCP sessions. The `inline:` key of an
 * `a=crypto` line is base64 of master key (16 bytes) || master salt (14 bytes) for
 * AES_CM_128_HMAC_SHA1_80 (RFC 4568 §6.2.1, RFC 3711 §8.2).
 */
import { ProtectionProfileAes128CmHmacSha1_80, SrtcpSession, SrtpSession } from 'werift-rtp';
import type { SrtpKeys } from './media-protocol';

const KEY_BYTES = 16;
const SALT_BYTES = 14;

export interface SrtpContexts {
  srtp: SrtpSession;
  srtcp: SrtcpSession;
}

/** Splits a base64 inline key. @throws Error naming `field` when it is not 30 bytes of base64. */
export function decodeInlineKey(value: string, field: string): { key: Buffer; salt: Buffer } {
  const raw = Buffer.from(value, 'base64');
  if (raw.length !== KEY_BYTES + SALT_BYTES || raw.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) {
    throw new Error(`${field}: must be base64 of 30 bytes (16-byte master key + 14-byte salt), got ${raw.length} bytes`);
  }
  return { key: raw.subarray(0, KEY_BYTES), salt: raw.subarray(KEY_BYTES) };
}

export function createSrtpContexts(keys: SrtpKeys): SrtpContexts {
  const send = decodeInlineKey(keys.sendKey, 'srtp.sendKey');
  const receive = decodeInlineKey(keys.receiveKey, 'srtp.receiveKey');
  const config = {
    keys: { localMasterKey: send.key, localMasterSalt: send.salt, remoteMasterKey: receive.key, remoteMasterSalt: receive.salt },
    profile: ProtectionProfileAes128CmHmacSha1_80,
  };
  return { srtp: new SrtpSession(config), srtcp: new SrtcpSession(config) };
}
