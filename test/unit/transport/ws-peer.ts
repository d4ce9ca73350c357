/** A loopback SIP WebSocket server (RFC 7118 §4.1: it selects the "sip" subprotocol unless told not to). */
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { Inbox } from './loopback';

export interface WsClient {
  ws: WebSocket;
  path: string | undefined;
  messages: Inbox<string>;
}

export async function wsPeer(options: { tls?: { key: string; cert: string }; selectSip?: boolean } = {}) {
  const { tls, selectSip = true } = options;
  const https = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }) : undefined;
  const server = new WebSocketServer({
    ...(https ? { server: https } : { port: 0, host: '127.0.0.1' }),
    handleProtocols: (protocols) => (selectSip && protocols.has('sip') ? 'sip' : false),
  });
  if (https) await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  else await new Promise<void>((resolve) => server.once('listening', resolve));
  const clients = new Inbox<WsClient>();
  server.on('connection', (ws, request) => {
    const messages = new Inbox<string>();
    ws.on('message', (data) => messages.push(data.toString()));
    clients.push({ ws, path: request.url, messages });
  });
  return {
    port: ((https ?? server).address() as AddressInfo).port,
    clients,
    close: async () => {
      for (const client of server.clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
      if (https) await new Promise((resolve) => https.close(resolve));
    },
  };
}
