/**
 * Binds a session's UDP sockets: an even RTP port p and RTCP on p+1 (RFC 3550 §11), both inside
 * the line's port range, on the local address that reaches the trunk. The first candidate is
 * random (injected) so concurrent calls and restarted hosts do not collide on the same pair.
 */
import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Random } from '../sip/clock';

export interface BoundPorts {
  rtp: Socket;
  rtcp: Socket;
  rtpPort: number;
}

function bindSocket(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    const onError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * @throws Error when no even/odd pair in [portMin, portMax] is free, or when the address cannot be
 *   bound at all (EADDRNOTAVAIL: not a local address).
 */
export async function bindRtpPorts(address: string, portMin: number, portMax: number, random: Random): Promise<BoundPorts> {
  const firstEven = portMin + (portMin % 2);
  const pairs = Math.floor((portMax - 1 - firstEven) / 2) + 1;
  if (pairs < 1) throw new Error(`port range ${portMin}–${portMax} holds no even RTP port with RTCP on the next one`);
  const start = Math.floor(random() * pairs);
  for (let i = 0; i < pairs; i++) {
    const rtpPort = firstEven + ((start + i) % pairs) * 2;
    let rtp: Socket;
    try {
      rtp = await bindSocket(address, rtpPort);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw new Error(`cannot bind ${address}:${rtpPort}: ${(error as Error).message}`);
    }
    try {
      const rtcp = await bindSocket(address, rtpPort + 1);
      return { rtp, rtcp, rtpPort };
    } catch (error) {
      rtp.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw new Error(`cannot bind ${address}:${rtpPort + 1}: ${(error as Error).message}`);
    }
  }
  throw new Error(`no free RTP/RTCP port pair in ${portMin}–${portMax} on ${address}`);
}
