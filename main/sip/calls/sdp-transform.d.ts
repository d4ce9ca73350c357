// sdp-transform 2.15.0 ships no types; this declares the part sdp-offer-answer.ts uses. Its parser
// never throws: unknown or malformed lines are skipped, so callers validate what they need.
declare module 'sdp-transform' {
  export interface SdpRtpMap { payload: number; codec: string; rate?: number; encoding?: number }
  export interface SdpFmtp { payload: number; config: string }
  export interface SdpCrypto { id: number; suite: string; config: string; sessionConfig?: string }
  export interface SdpConnection { version: number; ip: string }
  export interface SdpMedia {
    type: string;
    port: number;
    protocol: string;
    payloads?: string;
    connection?: SdpConnection;
    rtp: SdpRtpMap[];
    fmtp: SdpFmtp[];
    rtcp?: { port: number; netType?: string; ipVer?: number; address?: string };
    crypto?: SdpCrypto[];
    ptime?: number;
    direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
    [attribute: string]: unknown;
  }
  export interface SdpSession {
    version?: number;
    origin?: { username: string; sessionId: string | number; sessionVersion: number; netType: string; ipVer: number; address: string };
    name?: string;
    connection?: SdpConnection;
    timing?: { start: number; stop: number };
    direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
    media: SdpMedia[];
    [attribute: string]: unknown;
  }
  export function parse(sdp: string): SdpSession;
  export function write(session: SdpSession): string;
}
