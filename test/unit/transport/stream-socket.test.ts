import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SipSocketOptions, TlsTrust } from '../../../main/sip/transport/sip-socket';
import { createSipSocket } from '../../../main/sip/transport/sip-socket';
import { FakeClock } from '../../fake-clock';
import { blackholeTcpPort, closedTcpPort, observe, readAll, settle, streamPeer } from './loopback';
import { sipRequest, sipResponse } from './sip-samples';
import type { SelfSignedCert } from './tls-fixture';
import { selfSignedCert } from './tls-fixture';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function socketTo(port: number, transport: 'tcp' | 'tls', extra: Partial<SipSocketOptions> = {}) {
  const clock = new FakeClock();
  const socket = createSipSocket({ host: '127.0.0.1', port, transport, clock, ...extra });
  cleanups.push(() => socket.disconnect());
  const events = observe(socket);
  socket.connect();
  return { socket, events, clock };
}

async function peer(tlsOptions?: { key: string; cert: string }) {
  const server = await streamPeer(tlsOptions);
  cleanups.push(() => server.close());
  return server;
}

describe('TCP socket', () => {
  it('frames what the server sends however it is chunked', async () => {
    const server = await peer();
    const { socket, events } = socketTo(server.port, 'tcp');
    const conn = await server.connections.next('connection');
    await events.connects.next('onconnect');
    expect([socket.via_transport, socket.url, socket.sip_uri]).toEqual(['TCP', `tcp:127.0.0.1:${server.port}`, `sip:127.0.0.1:${server.port};transport=tcp`]);

    const notify = sipRequest('NOTIFY', { body: 'état: prêt ✓' });
    const reply = sipResponse(sipRequest('OPTIONS'), 200);
    const bytes = Buffer.from(`${notify}${reply}\r\n\r\n`);
    conn.write(bytes.subarray(0, 7));
    await settle(5);
    conn.write(bytes.subarray(7, bytes.length - 3));
    await settle(5);
    conn.write(bytes.subarray(bytes.length - 3));
    expect(await events.data.next('NOTIFY')).toBe(notify);
    expect(await events.data.next('200')).toBe(reply);
    expect(await events.data.next('ping')).toBe('\r\n\r\n');
  });

  it('sends with the connection port and rport in Via, and keepalive answers verbatim', async () => {
    const server = await peer();
    const { socket, events } = socketTo(server.port, 'tcp');
    const wire = readAll(await server.connections.next('connection'));
    await events.connects.next('onconnect');
    const port = socket.localAddress()?.port;
    expect(socket.send(sipRequest('REGISTER', { host: '127.0.0.1', branch: 'z9hG4bKt' }))).toBe(true);
    expect(socket.send('\r\n')).toBe(true);
    const text = await wire.until('\r\n\r\n\r\n');
    expect(text).toContain(`\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bKt\r\n`);
    expect(text.endsWith('Content-Length: 0\r\n\r\n\r\n')).toBe(true);
  });

  it('connection refused → ondisconnect(true) with cause "refused"', async () => {
    const port = await closedTcpPort();
    const { events, socket } = socketTo(port, 'tcp');
    const disconnect = await events.disconnects.next('ondisconnect');
    expect(disconnect).toMatchObject({ error: true, reason: `connection refused by 127.0.0.1:${port}/tcp` });
    expect(socket.lastFailure?.cause).toBe('refused');
    expect(socket.isConnecting()).toBe(false);
  });

  it('a connect that never completes fails on the injected clock with cause "timeout"', async () => {
    const blackhole = await blackholeTcpPort();
    cleanups.push(blackhole.close);
    const { events, socket, clock } = socketTo(blackhole.port, 'tcp', { connectTimeoutMs: 3000 });
    await settle(50);
    expect(socket.isConnecting()).toBe(true);
    clock.advance(2999);
    expect(socket.isConnecting()).toBe(true);
    clock.advance(1);
    const disconnect = await events.disconnects.next('ondisconnect');
    expect(disconnect.failure).toEqual({ cause: 'timeout', message: `no connection to 127.0.0.1:${blackhole.port}/tcp within 3000 ms` });

    // The abandoned connection closes later; that must not fail the next attempt.
    socket.connect();
    await settle(50);
    expect(socket.isConnecting()).toBe(true);
    expect(events.disconnects.pending).toHaveLength(0);
  });

  it('the server closing the connection → cause "closed"; our own disconnect reports nothing', async () => {
    const server = await peer();
    const first = socketTo(server.port, 'tcp');
    (await server.connections.next('connection')).end();
    expect((await first.events.disconnects.next('ondisconnect')).failure?.cause).toBe('closed');

    const second = socketTo(server.port, 'tcp');
    await second.events.connects.next('onconnect');
    second.socket.disconnect();
    await settle();
    expect(second.events.disconnects.pending).toHaveLength(0);
    expect(second.socket.lastFailure).toBeNull();
  });

  it('a message without Content-Length closes the connection with cause "error"', async () => {
    const server = await peer();
    const { events } = socketTo(server.port, 'tcp');
    const conn = await server.connections.next('connection');
    conn.write(sipRequest('OPTIONS').replace(/Content-Length: 0\r\n/, ''));
    const disconnect = await events.disconnects.next('ondisconnect');
    expect(disconnect.failure?.cause).toBe('error');
    expect(disconnect.reason).toMatch(/without Content-Length/);
    await new Promise((resolve) => conn.once('close', resolve));
  });
});

describe('TLS socket', () => {
  let certificate: SelfSignedCert;
  beforeAll(async () => {
    certificate = await selfSignedCert();
  });

  async function tlsAttempt(trust?: TlsTrust) {
    const server = await peer(certificate);
    return { server, ...socketTo(server.port, 'tls', { tls: trust }) };
  }

  it('rejects a self-signed certificate by default with cause "tls"', async () => {
    const { events } = await tlsAttempt();
    const disconnect = await events.disconnects.next('ondisconnect');
    expect(disconnect.failure?.cause).toBe('tls');
    expect(disconnect.reason).toMatch(/self-signed certificate/);
  });

  it('accepts it once its CA is trusted, checking the IP SAN', async () => {
    const { events, server, socket } = await tlsAttempt({ ca: certificate.cert });
    await events.connects.next('onconnect');
    expect(socket.via_transport).toBe('TLS');
    const wire = readAll(await server.connections.next('connection'));
    socket.send(sipRequest('OPTIONS'));
    await wire.until('Content-Length: 0\r\n\r\n');
  });

  it('rejects a trusted certificate issued for another IP', async () => {
    const other = await selfSignedCert('IP:127.0.0.2');
    const server = await peer(other);
    const { events } = socketTo(server.port, 'tls', { tls: { ca: other.cert } });
    const disconnect = await events.disconnects.next('ondisconnect');
    expect(disconnect.failure?.cause).toBe('tls');
    expect(disconnect.reason).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list/);
  });

  it('accepts exactly the pinned certificate', async () => {
    const { events } = await tlsAttempt({ fingerprintSha256: certificate.fingerprint256.toLowerCase() });
    await events.connects.next('onconnect');
  });

  it('rejects a certificate that does not match the pin', async () => {
    const wrong = certificate.fingerprint256.replace(/^../, certificate.fingerprint256.startsWith('00') ? '11' : '00');
    const { events } = await tlsAttempt({ fingerprintSha256: wrong });
    const disconnect = await events.disconnects.next('ondisconnect');
    expect(disconnect.failure?.cause).toBe('tls');
    expect(disconnect.reason).toMatch(/does not match the pinned/);
  });

  it('a handshake that never completes fails with cause "timeout"', async () => {
    const silent = await peer(); // plain TCP: accepts, never speaks TLS
    const { events, clock } = socketTo(silent.port, 'tls');
    await silent.connections.next('connection');
    clock.advance(5000);
    expect((await events.disconnects.next('ondisconnect')).failure?.cause).toBe('timeout');
  });
});
