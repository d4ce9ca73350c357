import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SipSocketOptions } from '../../../main/sip/transport/sip-socket';
import { createSipSocket } from '../../../main/sip/transport/sip-socket';
import { FakeClock } from '../../fake-clock';
import { closedTcpPort, observe, streamPeer } from './loopback';
import { sipRequest, sipResponse } from './sip-samples';
import type { SelfSignedCert } from './tls-fixture';
import { selfSignedCert } from './tls-fixture';
import { wsPeer } from './ws-peer';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function peer(options: Parameters<typeof wsPeer>[0] = {}) {
  const server = await wsPeer(options);
  cleanups.push(() => server.close());
  return server;
}

function socketTo(port: number, transport: 'ws' | 'wss', extra: Partial<SipSocketOptions> = {}) {
  const clock = new FakeClock();
  const socket = createSipSocket({ host: '127.0.0.1', port, transport, clock, ...extra });
  cleanups.push(() => socket.disconnect());
  const events = observe(socket);
  socket.connect();
  return { socket, events, clock };
}

describe('WebSocket socket (RFC 7118)', () => {
  it('speaks SIP over the "sip" subprotocol, one message per WebSocket message', async () => {
    const server = await peer();
    const { socket, events } = socketTo(server.port, 'ws', { path: 'sip' });
    expect([socket.via_transport, socket.url, socket.sip_uri]).toEqual(['WS', `ws://127.0.0.1:${server.port}/sip`, `sip:127.0.0.1:${server.port};transport=ws`]);
    await events.connects.next('onconnect');
    const client = await server.clients.next('client');
    expect(client.ws.protocol).toBe('sip');
    expect(client.path).toBe('/sip');

    socket.send(sipRequest('REGISTER', { host: 'df7jal23ls0d.invalid', branch: 'z9hG4bKw' }));
    const register = await client.messages.next('REGISTER');
    // The Via names the address we really send from, not the host JsSIP configured.
    expect(register).toContain(`Via: SIP/2.0/UDP 127.0.0.1:${socket.localAddress()?.port};rport;branch=z9hG4bKw\r\n`);
    const ok = sipResponse(register, 200, 'OK', 'Grüße');
    client.ws.send(ok);
    client.ws.send(Buffer.from('\r\n\r\n'), { binary: true });
    expect(await events.data.next('200')).toBe(ok);
    expect(await events.data.next('ping')).toBe('\r\n\r\n');
  });

  it('connection refused → cause "refused", not a bare 1006', async () => {
    const port = await closedTcpPort();
    const { events } = socketTo(port, 'ws');
    const disconnect = await events.disconnects.next('ondisconnect');
    expect(disconnect).toMatchObject({ error: true, failure: { cause: 'refused', message: `connection refused by 127.0.0.1:${port}/ws` } });
  });

  it('a server that does not select "sip" fails the upgrade with cause "error"', async () => {
    const server = await peer({ selectSip: false });
    const { events } = socketTo(server.port, 'ws');
    const disconnect = await events.disconnects.next('ondisconnect');
    expect(disconnect.failure?.cause).toBe('error');
    expect(disconnect.reason).toMatch(/Server sent no subprotocol/);
  });

  it('the server closing → cause "closed" with its close code', async () => {
    const server = await peer();
    const { events } = socketTo(server.port, 'ws');
    await events.connects.next('onconnect');
    (await server.clients.next('client')).ws.close(1001, 'going away');
    const disconnect = await events.disconnects.next('ondisconnect');
    expect(disconnect).toMatchObject({ error: true, code: 1001, failure: { cause: 'closed' } });
    expect(disconnect.reason).toMatch(/1001 going away/);
  });

  it('an upgrade that is never answered fails with cause "timeout"', async () => {
    const silent = await streamPeer(); // accepts TCP, never answers HTTP
    cleanups.push(() => silent.close());
    const { events, clock } = socketTo(silent.port, 'ws');
    await silent.connections.next('connection');
    clock.advance(5000);
    expect((await events.disconnects.next('ondisconnect')).failure?.cause).toBe('timeout');
  });

  describe('wss', () => {
    let certificate: SelfSignedCert;
    beforeAll(async () => {
      certificate = await selfSignedCert();
    });

    it('rejects a self-signed certificate by default with cause "tls"', async () => {
      const server = await peer({ tls: certificate });
      const { events } = socketTo(server.port, 'wss');
      const disconnect = await events.disconnects.next('ondisconnect');
      expect(disconnect.failure?.cause).toBe('tls');
      expect(disconnect.reason).toMatch(/self-signed certificate/);
    });

    it('connects once the CA is trusted', async () => {
      const server = await peer({ tls: certificate });
      const { events, socket } = socketTo(server.port, 'wss', { tls: { ca: certificate.cert } });
      await events.connects.next('onconnect');
      expect([socket.via_transport, socket.sip_uri]).toEqual(['WSS', `sip:127.0.0.1:${server.port};transport=ws`]);
      socket.send(sipRequest('OPTIONS'));
      expect(await (await server.clients.next('client')).messages.next('OPTIONS')).toMatch(/^OPTIONS /);
    });

    it('connects to the pinned certificate and rejects any other', async () => {
      const server = await peer({ tls: certificate });
      const pinned = socketTo(server.port, 'wss', { tls: { fingerprintSha256: certificate.fingerprint256 } });
      await pinned.events.connects.next('onconnect');
      const other = await selfSignedCert();
      const wrong = socketTo(server.port, 'wss', { tls: { fingerprintSha256: other.fingerprint256 } });
      expect((await wrong.events.disconnects.next('ondisconnect')).failure?.cause).toBe('tls');
    });
  });
});
