/**
 * RTCP for a two-party call (RFC 3550 §6): building our compound reports (SR or RR + SDES CNAME),
 * reading the far end's, the round trip from LSR/DLSR, and the report interval. Packet classes
 * are werift-rtp's; this file holds the arithmetic around them.
 */
import {
  RtcpPacketConverter,
  RtcpReceiverInfo,
  RtcpRrPacket,
  RtcpSenderInfo,
  RtcpSrPacket,
} from 'werift-rtp';
import type { Random } from '../sip/clock';
import type { ReportBlockFigures } from './rtp-receive-stats';

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** 64-bit NTP timestamp (RFC 3550 §4) for an epoch time in ms. */
export function ntpFromEpochMs(epochMs: number): bigint {
  const seconds = Math.floor(epochMs / 1000);
  const fraction = Math.floor(((epochMs - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds + NTP_UNIX_OFFSET_S) << 32n) | BigInt(fraction >>> 0);
}

/** The middle 32 bits of an NTP timestamp: LSR's unit, 1/65536 s (RFC 3550 §6.4.1). */
export function ntpMiddle32(ntp: bigint): number {
  return Number((ntp >> 16n) & 0xffffffffn);
}

/**
 * RFC 3550 §6.4.1: round trip = A − LSR − DLSR, all in 1/65536 s modulo 2^32, where A is the
 * arrival time of the report block. Null when the far end has not seen an SR of ours (LSR 0) or
 * the result is implausible (negative, clocks of the same host disagree).
 */
export function roundTripMs(arrivalEpochMs: number, lsr: number, dlsr: number): number | null {
  if (lsr === 0) return null;
  const a = ntpMiddle32(ntpFromEpochMs(arrivalEpochMs));
  const units = (a - lsr - dlsr) >>> 0;
  // A result above 2^31 units is a small negative number: clock granularity on loopback.
  if (units > 0x80000000) return 0;
  return (units / 65536) * 1000;
}

/**
 * Delay before the next report (RFC 3550 §6.2 minimum 5 s, half of it before the first report;
 * §6.3.1 randomised to [0.5, 1.5] × the interval). The 1.21828 compensation factor and the
 * bandwidth-share rule are left out: a call has two members and G.711's RTCP share is far below 5 s.
 */
export function rtcpIntervalMs(random: Random, first: boolean, meanMs = 5000): number {
  const base = first ? meanMs / 2 : meanMs;
  return base * (0.5 + random());
}

export interface SenderFigures {
  epochMs: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface ReportBlockInput extends ReportBlockFigures {
  ssrc: number;
  /** Middle 32 bits of the last SR's NTP time from that source, 0 if none. */
  lsr: number;
  /** Delay since that SR, in 1/65536 s, 0 if none. */
  dlsr: number;
}

/**
 * Our compound report (RFC 3550 §6.1: SR when we sent RTP since the last report, else RR, then
 * SDES with the CNAME).
 */
export function buildCompoundReport(ssrc: number, cname: string, sender: SenderFigures | null, block: ReportBlockInput | null): Buffer {
  const reports = block
    ? [new RtcpReceiverInfo({ ssrc: block.ssrc, fractionLost: block.fractionLost, packetsLost: block.packetsLost,
        highestSequence: block.extendedHighestSequence, jitter: block.jitter, lsr: block.lsr, dlsr: block.dlsr })]
    : [];
  const head = sender
    ? new RtcpSrPacket({
        ssrc,
        senderInfo: new RtcpSenderInfo({ ntpTimestamp: ntpFromEpochMs(sender.epochMs), rtpTimestamp: sender.rtpTimestamp >>> 0,
          packetCount: sender.packetCount >>> 0, octetCount: sender.octetCount >>> 0 }),
        reports,
      }).serialize()
    : new RtcpRrPacket({ ssrc, reports }).serialize();
  return Buffer.concat([head, buildSdes(ssrc, cname)]);
}

/**
 * RFC 3550 §6.5 SDES with one CNAME item. Written here because werift-rtp pads a chunk only to
 * the next word, leaving out the terminating null octet when the items already end on one.
 */
export function buildSdes(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname, 'utf8').subarray(0, 255);
  // chunk = SSRC (4) + type (1) + length (1) + text + at least one null, padded to 32 bits
  const chunkLength = Math.ceil((4 + 2 + text.length + 1) / 4) * 4;
  const packet = Buffer.alloc(4 + chunkLength);
  packet[0] = 0x81; // V=2, P=0, SC=1
  packet[1] = 202;
  packet.writeUInt16BE(packet.length / 4 - 1, 2);
  packet.writeUInt32BE(ssrc >>> 0, 4);
  packet[8] = 1; // CNAME
  packet[9] = text.length;
  text.copy(packet, 10);
  return packet;
}

/** RFC 3550 §6.6 BYE for one SSRC (werift-rtp has no BYE class). */
export function buildBye(ssrc: number): Buffer {
  const packet = Buffer.alloc(8);
  packet[0] = 0x81; // V=2, P=0, SC=1
  packet[1] = 203;
  packet.writeUInt16BE(1, 2);
  packet.writeUInt32BE(ssrc >>> 0, 4);
  return packet;
}

/** What we keep from one incoming compound report. */
export interface ReceivedReport {
  /** Set when it carried an SR: the sender's SSRC and the middle 32 bits of its NTP time. */
  senderReport: { ssrc: number; lsr: number } | null;
  /** The report block about `ourSsrc`, if any. */
  aboutUs: RtcpReceiverInfo | null;
  bye: boolean;
}

export function readCompoundReport(packet: Buffer, ourSsrc: number): ReceivedReport {
  const result: ReceivedReport = { senderReport: null, aboutUs: null, bye: false };
  for (const item of RtcpPacketConverter.deSerialize(packet)) {
    if (item instanceof RtcpSrPacket) {
      result.senderReport = { ssrc: item.ssrc, lsr: ntpMiddle32(BigInt(item.senderInfo.ntpTimestamp)) };
      result.aboutUs = item.reports.find((r) => r.ssrc === ourSsrc) ?? result.aboutUs;
    } else if (item instanceof RtcpRrPacket) {
      result.aboutUs = item.reports.find((r) => r.ssrc === ourSsrc) ?? result.aboutUs;
    }
  }
  // werift-rtp skips BYE (type 203): look for it by hand in the compound packet.
  for (let pos = 0; pos + 4 <= packet.length; pos += (packet.readUInt16BE(pos + 2) + 1) * 4) {
    if (packet[pos + 1] === 203) result.bye = true;
  }
  return result;
}
