/**
 * A scripted SIP peer on a loopback UDP socket, for what Kamailio will not do on demand
 * (a stale nonce, torture messages). Each request is handed to `onRequest`, which answers.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface UdpPeer {
  port: number;
  received: string[];
  client: RemoteInfo | null;
  send(bytes: string | Buffer): void;
  close(): void;
}

/** Builds a response to `request`: its Via/From/To/Call-ID/CSeq, a To tag, and `extra` headers. */
export function respond(request: string, code: number, reason: string, extra: string[] = []): string {
  const keep = request.split('\r\n').filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(l));
  const withTag = keep.map((l) => (/^(to|t)\s*:/i.test(l) && !/tag=/.test(l) ? `${l};tag=peer` : l));
  return [`SIP/2.0 ${code} ${reason}`, ...withTag, ...extra, 'Content-Length: 0', '', ''].join('\r\n');
}

/** The request's Contact with `expires` granted, for a 200 OK to REGISTER. */
export function grantedContact(request: string, seconds: number): string[] {
  const contact = request.split('\r\n').find((l) => /^contact\s*:/i.test(l));
  return contact ? [`${contact.replace(/;expires=\d+/, '')};expires=${seconds}`] : [];
}

export async function startUdpPeer(onRequest: (request: string, peer: UdpPeer) => void): Promise<UdpPeer> {
  const socket: Socket = createSocket('udp4');
  const peer: UdpPeer = {
    port: 0,
    received: [],
    client: null,
    send(bytes) {
      if (peer.client) socket.send(bytes, peer.client.port, peer.client.address);
    },
    close: () => socket.close(),
  };
  socket.on('message', (data, rinfo) => {
    const text = data.toString('utf8');
    peer.received.push(text);
    peer.client = rinfo;
    if (!text.startsWith('SIP/2.0')) onRequest(text, peer);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  peer.port = socket.address().port;
  return peer;
}
