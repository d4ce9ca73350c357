/**
 * The host side of the development bridge: a WebSocket on the host's own HTTP server that accepts
 * only the page it serves (loopback Host, same Origin, the random token) and carries the contract:
 * `{ id, command, args }` in, `{ id, result }` and `{ event, payload }` out.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { EventMap, EventName } from '../../preload/contract';
import type { CommandDispatcher } from '../shell/command-router';
import { BRIDGE_PATH } from './bridge-script';

const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface SocketBridgeOptions {
  token: string;
  /** The only origins a page may connect from, e.g. http://127.0.0.1:5173. */
  origins: readonly string[];
  /** The only Host header values accepted (DNS rebinding defence). */
  hosts: readonly string[];
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class SocketBridge {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private service: CommandDispatcher | null = null;

  constructor(server: Server, private readonly options: SocketBridgeOptions) {
    server.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
  }

  /** Commands are refused until the service is attached. */
  attach(service: CommandDispatcher): void {
    this.service = service;
  }

  broadcast<E extends EventName>(event: E, payload: EventMap[E]): void {
    const text = JSON.stringify({ event, payload });
    for (const client of this.wss.clients) if (client.readyState === WebSocket.OPEN) client.send(text);
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }

  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  /** Why an upgrade is refused, or null when it is the page we served. */
  refusal(request: IncomingMessage): string | null {
    const url = new URL(request.url ?? '/', 'http://host.invalid');
    if (url.pathname !== BRIDGE_PATH) return 'unknown path';
    if (!this.options.hosts.includes(request.headers.host ?? '')) return 'unexpected Host';
    if (!this.options.origins.includes(request.headers.origin ?? '')) return 'unexpected Origin';
    if (!sameSecret(url.searchParams.get('token') ?? '', this.options.token)) return 'bad token';
    return null;
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.refusal(request) !== null) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) return ws.close(1003, 'text only');
        void this.onMessage(ws, data.toString());
      });
    });
  }

  private async onMessage(ws: WebSocket, text: string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return ws.close(1007, 'not JSON');
    }
    const { id, command, args } = (message ?? {}) as { id?: unknown; command?: unknown; args?: unknown };
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || typeof command !== 'string') return ws.close(1008, 'not a command');
    const result = this.service
      ? await this.service.dispatch(command, args)
      : { ok: false as const, error: { message: 'the engine is not ready' } };
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ id, result }));
  }
}
