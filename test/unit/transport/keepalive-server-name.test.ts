/**
 * RFC 5626 §4.4.1 keepalives and RFC 5922 §4 server names on located targets, over real loopback
 * sockets: the socket connects to an address while TLS checks the configured name.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../main/sip/transport/sip-socket';
import { createSipSocket } from '../../../main/sip/transport/sip-socket';
import { FakeClock } from '../../fake-clock';
import { observe, readAll, streamPeer, udpPeer } from './loopback';
import { selfSignedCert } from './tls-fixture';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('keepalives', () => {
  it('UDP: a CRLFCRLF datagram from the connected port, never traced; false before connecting', async () => {
    const server = await udpPeer();
    cleanups.push(() => server.close());
    const socket = createSipSocket({ host: '127.0.0.1', port: server.port, transport: 'udp', clock: new FakeClock() });
    cleanups.push(() => socket.disconnect());
    expect(socket.sendKeepalive()).toBe(false);
    const traces: TraceRecord[] = [];
    socket.ontrace = (r) => traces.push(r);
    const events = observe(socket);
    socket.connect();
    await events.connects.next('onconnect');
    expect(socket.sendKeepalive()).toBe(true);
    const { text, from } = await server.received.next('keepalive');
    expect(text).toBe('\r\n\r\n');
    expect(from.port).toBe(socket.localAddress()?.port);
    expect(traces).toEqual([]);
  });

  it('TCP: a CRLFCRLF ping on the connection (RFC 5626 §4.4.1)', async () => {
    const server = await streamPeer();
    cleanups.push(() => server.close());
    const socket = createSipSocket({ host: '127.0.0.1', port: server.port, transport: 'tcp', clock: new FakeClock() });
    cleanups.push(() => socket.disconnect());
    const events = observe(socket);
    socket.connect();
    await events.connects.next('onconnect');
    const wire = readAll(await server.connections.next('connection'));
    expect(socket.sendKeepalive()).toBe(true);
    expect(await wire.until('\r\n\r\n')).toBe('\r\n\r\n');
  });
});

describe('serverName on a located address (RFC 5922 §4)', () => {
  it('TLS to 127.0.0.1 is accepted for a certificate of the configured name, and refused for another name', async () => {
    const certificate = await selfSignedCert('DNS:sip.example.test');
    const server = await streamPeer(certificate);
    cleanups.push(() => server.close());
    const ok = createSipSocket({ host: '127.0.0.1', serverName: 'sip.example.test', port: server.port, transport: 'tls', tls: { ca: certificate.cert }, clock: new FakeClock() });
    cleanups.push(() => ok.disconnect());
    const okEvents = observe(ok);
    ok.connect();
    await okEvents.connects.next('onconnect');

    const wrong = createSipSocket({ host: '127.0.0.1', serverName: 'other.example.test', port: server.port, transport: 'tls', tls: { ca: certificate.cert }, clock: new FakeClock() });
    cleanups.push(() => wrong.disconnect());
    const wrongEvents = observe(wrong);
    wrong.connect();
    const disconnect = await wrongEvents.disconnects.next('ondisconnect');
    expect(disconnect.failure?.cause).toBe('tls');
    expect(disconnect.reason).toMatch(/other\.example\.test/);
  });

  it('a WebSocket to a located address keeps the configured name in its URL (the Host header)', () => {
    const socket = createSipSocket({ host: '127.0.0.7', serverName: 'sip.example.test', port: 8080, transport: 'ws', clock: new FakeClock() });
    expect(socket.url).toBe('ws://sip.example.test:8080/');
    expect(socket.sip_uri).toBe('sip:127.0.0.7:8080;transport=ws');
  });

  it('an invalid serverName is refused naming it', () => {
    expect(() => createSipSocket({ host: '127.0.0.1', serverName: 'bad name', port: 5061, transport: 'tls', clock: new FakeClock() })).toThrow(/invalid serverName "bad name"/);
  });
});
