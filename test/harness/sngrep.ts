/**
 * sngrep (Debian 1.6) as a HEP collector: `sngrep -N -q -L udp:127.0.0.1:PORT -O file.pcap`
 * listens for HEPv2/v3 and writes each decapsulated SIP message to a pcap (Ethernet/IPv4/UDP or
 * TCP frames built from the HEP chunks). With -L alone it opens no capture device, so the pcap
 * holds only what arrived as HEP. Read it back after stop() with `readPcap`.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import dgram from 'node:dgram';
import { ensureSystemPackages } from './install';
import { spawnTool, stopTool } from './prometheus';

/** One frame of the pcap, decoded down to its transport payload. */
export interface PcapPacket {
  /** Epoch ms from the record header (sngrep copies the HEP timestamp). */
  time: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  protocol: 'udp' | 'tcp';
  payload: string;
}

export interface SngrepInstance {
  readonly host: string;
  readonly port: number;
  /** Stops sngrep (so the pcap is flushed) and returns every packet in it. */
  stopAndRead(): Promise<PcapPacket[]>;
  stop(): Promise<void>;
}

/** A free UDP port on 127.0.0.1. */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

export async function startSngrep(): Promise<SngrepInstance> {
  await ensureSystemPackages(['sngrep']);
  const dir = await mkdtemp(join(tmpdir(), 'trunkline-sngrep-'));
  const port = await freeUdpPort();
  const pcap = join(dir, 'hep.pcap');
  const tool = spawnTool('sngrep', ['-N', '-q', '-F', '-L', `udp:127.0.0.1:${port}`, '-O', pcap]);
  // sngrep has no readiness signal: wait until its UDP port is taken (bind fails) or it died.
  const end = Date.now() + 10_000;
  for (;;) {
    if (tool.child.exitCode !== null) throw new Error(`sngrep exited at start:\n${tool.output()}`);
    const taken = await new Promise<boolean>((resolve) => {
      const probe = dgram.createSocket('udp4');
      probe.once('error', () => resolve(true));
      probe.bind(port, '127.0.0.1', () => probe.close(() => resolve(false)));
    });
    if (taken) break;
    if (Date.now() > end) {
      await stopTool(tool);
      throw new Error(`sngrep did not listen on udp:127.0.0.1:${port} within 10 s:\n${tool.output()}`);
    }
    await delay(50);
  }
  const stop = async (): Promise<void> => {
    await stopTool(tool);
    await rm(dir, { recursive: true, force: true });
  };
  return {
    host: '127.0.0.1',
    port,
    stop,
    stopAndRead: async () => {
      await stopTool(tool);
      try {
        return readPcap(await readFile(pcap));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Parses a classic pcap file (either byte order, µs timestamps) of Ethernet (1) or Linux cooked
 * (113) frames carrying IPv4 or IPv6 with UDP or TCP. Other frames are skipped.
 */
export function readPcap(file: Buffer): PcapPacket[] {
  if (file.length < 24) return [];
  const magic = file.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4;
  if (!le && file.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error('not a pcap file (magic)');
  const u32 = (at: number) => (le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const linkType = u32(20);
  const packets: PcapPacket[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const seconds = u32(at);
    const micros = u32(at + 4);
    const length = u32(at + 8);
    const frame = file.subarray(at + 16, at + 16 + length);
    at += 16 + length;
    const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : -1;
    if (linkHeader < 0) continue;
    const etherType = frame.readUInt16BE(linkHeader - 2);
    let ip = frame.subarray(linkHeader);
    let srcIp: string;
    let dstIp: string;
    let proto: number;
    if (etherType === 0x0800) {
      const ihl = (ip[0]! & 0x0f) * 4;
      proto = ip[9]!;
      srcIp = [...ip.subarray(12, 16)].join('.');
      dstIp = [...ip.subarray(16, 20)].join('.');
      ip = ip.subarray(ihl, ip.readUInt16BE(2));
    } else if (etherType === 0x86dd) {
      proto = ip[6]!;
      const v6 = (b: Buffer) => Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
      srcIp = v6(ip.subarray(8, 24));
      dstIp = v6(ip.subarray(24, 40));
      ip = ip.subarray(40);
    } else continue;
    if (proto !== 17 && proto !== 6) continue;
    const headerLength = proto === 17 ? 8 : (ip[12]! >> 4) * 4;
    packets.push({
      time: seconds * 1000 + micros / 1000,
      srcIp,
      dstIp,
      srcPort: ip.readUInt16BE(0),
      dstPort: ip.readUInt16BE(2),
      protocol: proto === 17 ? 'udp' : 'tcp',
      payload: ip.subarray(headerLength).toString('utf8'),
    });
  }
  return packets;
}
