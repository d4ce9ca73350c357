/**
 * Our sockets under a real JsSIP UA: JsSIP accepts them, its OPTIONS reach a loopback server, and
 * the answer comes back through JsSIP's transaction — over UDP only thanks to our retransmission.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UA, URI } from 'jssip';
import type { Socket as JsSipSocket } from 'jssip';
import type { SipSocket, TransportKind } from '../../../main/sip/transport/sip-socket';
import { createSipSocket } from '../../../main/sip/transport/sip-socket';
import { FakeClock } from '../../fake-clock';
import { closedUdpPort, Inbox, readAll, streamPeer, udpPeer } from './loopback';
import { sipResponse } from './sip-samples';
import { wsPeer } from './ws-peer';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type OptionsOutcome = { ok: true; status: number } | { ok: false; cause: string };

/** A started UA over `socket`, and a way to send OPTIONS to the server (missing from JsSIP's types). */
async function uaOver(socket: SipSocket, transport: TransportKind) {
  const ua = new UA({
    uri: 'sip:alice@127.0.0.1',
    sockets: [socket as unknown as JsSipSocket],
    register: false,
    contact_uri: `sip:alice@127.0.0.1;transport=${transport}`,
    password: 'x',
  });
  cleanups.push(() => {
    ua.stop();
    socket.disconnect();
  });
  const connected = new Promise<void>((resolve) => ua.once('connected', () => resolve()));
  ua.start();
  await connected;
  const sendOptions = (port: number): Promise<OptionsOutcome> =>
    new Promise((resolve) => {
      const target = new URI('sip', null as unknown as string, '127.0.0.1', port);
      (ua as unknown as { sendOptions(target: URI, body: null, options: object): void }).sendOptions(target, null, {
        eventHandlers: {
          succeeded: (event: { response: { status_code: number } }) => resolve({ ok: true, status: event.response.status_code }),
          failed: (event: { cause: string }) => resolve({ ok: false, cause: event.cause }),
        },
      });
    });
  return { ua, sendOptions };
}

describe('JsSIP UA over our sockets', () => {
  it('UDP: retransmissions get OPTIONS through a server that ignores the first two copies', async () => {
    const server = await udpPeer();
    cleanups.push(() => server.close());
    const clock = new FakeClock();
    const socket = createSipSocket({ host: '127.0.0.1', port: server.port, transport: 'udp', clock });
    const { sendOptions } = await uaOver(socket, 'udp');
    const outcome = sendOptions(server.port);

    const copies = [await server.received.next('first copy')];
    clock.advance(500);
    copies.push(await server.received.next('second copy'));
    clock.advance(1000);
    copies.push(await server.received.next('third copy'));
    expect(new Set(copies.map((c) => c.text)).size).toBe(1);
    expect(copies[0]?.text).toMatch(new RegExp(`\r\nVia: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${socket.localAddress()?.port};rport;branch=z9hG4bK`));

    const last = copies[2] as (typeof copies)[number];
    await server.send(sipResponse(last.text, 200), last.from);
    expect(await outcome).toEqual({ ok: true, status: 200 });
    clock.advance(60_000);
    expect(clock.pendingDelays()).toEqual([]);
  });

  it('UDP: ICMP port unreachable fails the OPTIONS at once instead of after Timer F', async () => {
    const port = await closedUdpPort();
    const socket = createSipSocket({ host: '127.0.0.1', port, transport: 'udp', clock: new FakeClock() });
    const { ua, sendOptions } = await uaOver(socket, 'udp');
    const disconnected = new Promise<{ error: boolean }>((resolve) => ua.once('disconnected', resolve));
    expect(await sendOptions(port)).toEqual({ ok: false, cause: 'Connection Error' });
    expect((await disconnected).error).toBe(true);
    expect(socket.lastFailure?.cause).toBe('unreachable');
  });

  it('UDP: a retransmitted incoming request reaches JsSIP once and gets its cached answer', async () => {
    const server = await udpPeer();
    cleanups.push(() => server.close());
    const socket = createSipSocket({ host: '127.0.0.1', port: server.port, transport: 'udp', clock: new FakeClock() });
    const { ua, sendOptions } = await uaOver(socket, 'udp');
    const seenByJsSip = new Inbox<unknown>();
    ua.on('newOptions', (event: { originator: string }) => {
      if (event.originator === 'remote') seenByJsSip.push(event);
    });
    void sendOptions(server.port);
    const { text, from } = await server.received.next('our OPTIONS');
    await server.send(sipResponse(text, 200), from);

    const incoming = text
      .replace(/branch=z9hG4bK\w+/, 'branch=z9hG4bKserver1')
      .replace(/^Call-ID: .*$/m, 'Call-ID: from-server')
      .replace(/^OPTIONS \S+/, 'OPTIONS sip:alice@127.0.0.1')
      .replace(/^To: .*$/m, 'To: <sip:alice@127.0.0.1>');
    await server.send(incoming, from);
    const answer = await server.received.next('200 from JsSIP');
    expect(answer.text).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    await server.send(incoming, from);
    expect((await server.received.next('cached 200')).text).toBe(answer.text);
    expect(seenByJsSip.pending).toHaveLength(1);
  });

  it('TCP: a response split across segments reaches JsSIP whole', async () => {
    const server = await streamPeer();
    cleanups.push(() => server.close());
    const socket = createSipSocket({ host: '127.0.0.1', port: server.port, transport: 'tcp', clock: new FakeClock() });
    const started = uaOver(socket, 'tcp');
    const conn = await server.connections.next('connection');
    const wire = readAll(conn);
    const { sendOptions } = await started;
    const outcome = sendOptions(server.port);
    const request = await wire.until('Content-Length: 0\r\n\r\n');
    expect(request).toMatch(new RegExp(`Via: SIP/2\\.0/TCP 127\\.0\\.0\\.1:${socket.localAddress()?.port};rport;branch=`));
    const reply = Buffer.from(sipResponse(request, 200));
    conn.write(reply.subarray(0, 30));
    setTimeout(() => conn.write(reply.subarray(30)), 10);
    expect(await outcome).toEqual({ ok: true, status: 200 });
  });

  it('WS: the response reaches JsSIP', async () => {
    const server = await wsPeer();
    cleanups.push(() => server.close());
    const socket = createSipSocket({ host: '127.0.0.1', port: server.port, transport: 'ws', clock: new FakeClock() });
    const { sendOptions } = await uaOver(socket, 'ws');
    const outcome = sendOptions(server.port);
    const client = await server.clients.next('client');
    const request = await client.messages.next('OPTIONS');
    expect(request).toMatch(/^Via: SIP\/2\.0\/WS 127\.0\.0\.1:\d+;rport;branch=/m);
    client.ws.send(sipResponse(request, 200));
    expect(await outcome).toEqual({ ok: true, status: 200 });
  });
});
