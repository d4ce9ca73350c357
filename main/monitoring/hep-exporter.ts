/**
 * HEP export: every SIP message the engine sends or receives, as a HEPv3 datagram to a collector
 * (Homer's heplify-server, sngrep -L, …). Credentials are masked exactly as the trace masks them
 * (`maskCredentials`: Authorization values and every verbatim line secret) unless the operator
 * opts out with `--hep-unmasked`.
 *
 * Fire and forget: a collector that is down or slow never slows the engine (UDP, no queue beyond
 * the kernel's; send errors are counted, not thrown).
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { TraceRecord } from '../sip/transport/sip-socket';
import { maskCredentials } from '../sip/sip-trace';
import { encodeHep3, IPPROTO_TCP, IPPROTO_UDP } from './hep-encoder';

/** Where HEP goes: only UDP collectors (HEP's usual transport; heplify-server's default :9060). */
export interface HepTarget {
  host: string;
  port: number;
}

export interface HepExporterOptions {
  target: HepTarget;
  /** Capture agent id shown by Homer (`--hep-capture-id`); default 2001. */
  captureId?: number;
  /** The collector's auth key (`--hep-password-file`); none by default. */
  password?: string | null;
  /** true only when the operator opted out of masking (`--hep-unmasked`). */
  unmasked?: boolean;
}

/** The hook the engine calls for each traced message: the record and the line's secrets. */
export type TraceSink = (record: TraceRecord, lineSecrets: readonly string[]) => void;

export interface HepExporter {
  /** Encodes and sends one record; never throws. */
  readonly exportRecord: TraceSink;
  /** Datagrams handed to the socket, and records dropped (no address known, too large, send error). */
  stats(): { sent: number; dropped: number; errors: number };
  close(): Promise<void>;
}

export const DEFAULT_HEP_CAPTURE_ID = 2001;
/** A HEP packet's length field is 16 bits. */
const MAX_HEP_BYTES = 65_507;

/**
 * Parses `--hep udp:HOST:PORT` (`udp:127.0.0.1:9060`, `udp:[::1]:9060`). HOST must be an IP
 * address: a service must not depend on DNS to report its own traffic.
 */
export function parseHepTarget(text: string): HepTarget {
  const m = /^udp:(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2] ?? '';
  const port = Number(m?.[3]);
  if (!m || isIP(host) === 0 || port < 1 || port > 65535) {
    throw new Error(`--hep: must be udp:IP:PORT like udp:127.0.0.1:9060 or udp:[::1]:9060 (got "${text}")`);
  }
  return { host, port };
}

/** The Call-ID of a SIP message (RFC 3261 §20.8, compact form "i"), or null. */
export function callIdOf(message: string): string | null {
  const end = message.indexOf('\r\n\r\n');
  const head = end < 0 ? message : message.slice(0, end);
  const m = /^(?:call-id|i)[ \t]*:[ \t]*(\S+)/im.exec(head);
  return m ? m[1]! : null;
}

/** The HEP packet fields of one trace record, or null when its addresses are unknown. */
export function hepFieldsOf(record: TraceRecord): { srcIp: string; srcPort: number; dstIp: string; dstPort: number; ipProtocol: number } | null {
  const { local, remote } = record;
  if (!local || !remote) return null;
  const [src, dst] = record.direction === 'sent' ? [local, remote] : [remote, local];
  return {
    srcIp: src.address,
    srcPort: src.port,
    dstIp: dst.address,
    dstPort: dst.port,
    // TLS, WS and WSS all ride TCP.
    ipProtocol: record.transport === 'udp' ? IPPROTO_UDP : IPPROTO_TCP,
  };
}

export function createHepExporter(options: HepExporterOptions): HepExporter {
  const { target } = options;
  const socket: Socket = createSocket(isIP(target.host) === 6 ? 'udp6' : 'udp4');
  // Errors (ICMP unreachable from a stopped collector) must never reach the process as 'error'.
  socket.on('error', () => counts.errors++);
  socket.unref();
  const counts = { sent: 0, dropped: 0, errors: 0 };
  const captureId = options.captureId ?? DEFAULT_HEP_CAPTURE_ID;
  const authKey = options.password ?? null;

  const exportRecord: TraceSink = (record, lineSecrets) => {
    try {
      const fields = hepFieldsOf(record);
      if (!fields) {
        counts.dropped++;
        return;
      }
      const payload = options.unmasked ? record.text : maskCredentials(record.text, lineSecrets);
      const packet = encodeHep3({ ...fields, timeMs: record.time, captureId, authKey, correlationId: callIdOf(payload), payload });
      if (packet.length > MAX_HEP_BYTES) {
        counts.dropped++;
        return;
      }
      socket.send(packet, target.port, target.host, (error) => {
        if (error) counts.errors++;
      });
      counts.sent++;
    } catch {
      counts.errors++;
    }
  };

  return {
    exportRecord,
    stats: () => ({ ...counts }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
