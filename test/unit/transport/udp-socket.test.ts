import { afterEach, describe, expect, it } from 'vitest';
import type { SipSocket, TraceRecord } from '../../../main/sip/transport/sip-socket';
import { createSipSocket } from '../../../main/sip/transport/sip-socket';
import { UdpSipSocket } from '../../../main/sip/transport/udp-socket';
import { FakeClock } from '../../fake-clock';
import { closedUdpPort, observe, settle, udpPeer } from './loopback';
import { sipRequest, sipResponse } from './sip-samples';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connectedUdp(port: number, clock = new FakeClock()) {
  const socket = createSipSocket({ host: '127.0.0.1', port, transport: 'udp', clock });
  cleanups.push(() => socket.disconnect());
  const events = observe(socket);
  const traces: TraceRecord[] = [];
  socket.ontrace = (record) => traces.push(record);
  socket.connect();
  expect(socket.isConnecting()).toBe(true);
  await events.connects.next('onconnect');
  return { socket, events, traces, clock };
}

async function peer() {
  const server = await udpPeer();
  cleanups.push(() => server.close());
  return server;
}

describe('UDP socket', () => {
  it('names itself the way JsSIP expects', () => {
    const socket = createSipSocket({ host: '127.0.0.1', port: 5060, transport: 'udp', clock: new FakeClock() });
    expect([socket.via_transport, socket.url, socket.sip_uri]).toEqual(['UDP', 'udp:127.0.0.1:5060', 'sip:127.0.0.1:5060;transport=udp']);
    expect(socket.localAddress()).toBeNull();
    expect(socket.send('OPTIONS sip:x SIP/2.0\r\n\r\n')).toBe(false);
  });

  it('sends from a connected ephemeral port with that port and rport in Via', async () => {
    const server = await peer();
    const { socket } = await connectedUdp(server.port);
    const local = socket.localAddress();
    expect(local?.address).toBe('127.0.0.1');
    expect(socket.send(sipRequest('OPTIONS', { host: '127.0.0.1', branch: 'z9hG4bKv' }))).toBe(true);
    const { text, from } = await server.received.next('OPTIONS');
    expect(from.port).toBe(local?.port);
    expect(text).toContain(`\r\nVia: SIP/2.0/UDP 127.0.0.1:${local?.port};rport;branch=z9hG4bKv\r\n`);
  });

  it('ICMP port unreachable fails the socket at once, and a reconnect keeps the port', async () => {
    const { socket, events } = await connectedUdp(await closedUdpPort());
    const port = socket.localAddress()?.port;
    expect(socket.send(sipRequest('REGISTER'))).toBe(true);
    const disconnect = await events.disconnects.next('ondisconnect');
    expect(disconnect.error).toBe(true);
    expect(disconnect.failure?.cause).toBe('unreachable');
    expect(disconnect.reason).toMatch(/127\.0\.0\.1:\d+\/udp is unreachable: ICMP port unreachable/);
    expect(socket.isConnected()).toBe(false);
    expect(socket.send(sipRequest('REGISTER'))).toBe(false);

    socket.connect();
    await events.connects.next('reconnect');
    expect(socket.localAddress()?.port).toBe(port);
    expect(socket.lastFailure).toBeNull();
  });

  it('retransmits on the injected clock and traces the copies', async () => {
    const server = await peer();
    const { socket, traces, clock } = await connectedUdp(server.port);
    const options = sipRequest('OPTIONS', { branch: 'z9hG4bKre' });
    socket.send(options);
    const first = await server.received.next('first copy');
    clock.advance(500);
    const second = await server.received.next('retransmission');
    expect(second.text).toBe(first.text);
    expect(traces.map((t) => [t.direction, t.retransmission])).toEqual([
      ['sent', false],
      ['sent', true],
    ]);
    await server.send(sipResponse(first.text, 200), first.from);
    await settle();
    clock.advance(10_000);
    await settle();
    expect(server.received.pending).toHaveLength(0);
  });

  it('answers a retransmitted request from the response cache instead of JsSIP', async () => {
    const server = await peer();
    const { socket, events, traces } = await connectedUdp(server.port);
    socket.send(sipRequest('OPTIONS')); // lets the server learn our address
    const { from } = await server.received.next('hello');
    const incoming = sipRequest('MESSAGE', { branch: 'z9hG4bKin', body: 'hi' });
    await server.send(incoming, from);
    expect(await events.data.next('MESSAGE')).toBe(incoming);
    const ok = sipResponse(incoming, 200);
    socket.send(ok);
    expect((await server.received.next('200')).text).toBe(ok);
    await server.send(incoming, from);
    expect((await server.received.next('cached 200')).text).toBe(ok);
    expect(events.data.pending).toHaveLength(0);
    expect(traces.filter((t) => t.retransmission).map((t) => t.direction)).toEqual(['received', 'sent']);
  });

  it('passes a CRLFCRLF ping to JsSIP and drops a pong', async () => {
    const server = await peer();
    const { socket, events } = await connectedUdp(server.port);
    socket.send(sipRequest('OPTIONS'));
    const { from } = await server.received.next('hello');
    await server.send('\r\n', from);
    await server.send('\r\n\r\n', from);
    expect(await events.data.next('ping')).toBe('\r\n\r\n');
    await settle();
    expect(events.data.pending).toHaveLength(0);
  });

  it('disconnect clears every timer and closes the socket', async () => {
    const server = await peer();
    const { socket, clock } = await connectedUdp(server.port);
    socket.send(sipRequest('INVITE'));
    socket.send(sipRequest('OPTIONS', { branch: 'z9hG4bK2' }));
    socket.disconnect();
    expect(clock.pendingDelays()).toEqual([]);
    expect(socket.isConnected()).toBe(false);
    expect(socket.localAddress()).toBeNull();
  });

  it('refuses a datagram larger than UDP can carry', async () => {
    const server = await peer();
    const { socket } = await connectedUdp(server.port);
    expect(socket.send(sipRequest('MESSAGE', { body: 'x'.repeat(70_000) }))).toBe(false);
  });

  it('prepare() learns the local address before connect(), which then reuses it', async () => {
    const server = await peer();
    const socket = createSipSocket({ host: '127.0.0.1', port: server.port, transport: 'udp', clock: new FakeClock() });
    cleanups.push(() => socket.disconnect());
    expect(socket).toBeInstanceOf(UdpSipSocket);
    const prepared = await (socket as UdpSipSocket).prepare();
    const events = observe(socket as SipSocket);
    socket.connect();
    await events.connects.next('onconnect');
    expect(socket.localAddress()).toEqual(prepared);
  });
});
