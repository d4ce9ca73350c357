/** Real loopback peers for transport tests (127.0.0.1 only) and a way to await what they see. */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { RemoteInfo } from 'node:dgram';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { SipSocket, TransportFailure } from '../../../main/sip/transport/sip-socket';

const WAIT_MS = 2000;

/** Values pushed by callbacks, awaited one at a time by the test. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((item: T) => void)[] = [];

  push = (item: T): void => {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  };

  next(what = 'a value'): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(onItem), 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, WAIT_MS);
      const onItem = (value: T): void => {
        clearTimeout(timer);
        resolve(value);
      };
      this.waiters.push(onItem);
    });
  }

  /** Items that arrived and were not taken yet. */
  get pending(): readonly T[] {
    return this.items;
  }
}

export interface Disconnect {
  error: boolean;
  code?: number;
  reason?: string;
  failure: TransportFailure | null;
}

/** Wires a socket's JsSIP callbacks into inboxes, the way JsSIP's Transport assigns them. */
export function observe(socket: SipSocket) {
  const connects = new Inbox<true>();
  const disconnects = new Inbox<Disconnect>();
  const data = new Inbox<string>();
  socket.onconnect = () => connects.push(true);
  socket.ondisconnect = (error, code, reason) => disconnects.push({ error, code, reason, failure: socket.lastFailure });
  socket.ondata = data.push;
  return { connects, disconnects, data };
}

/** A UDP "server" on an ephemeral loopback port. */
export async function udpPeer() {
  const socket = createSocket('udp4');
  const received = new Inbox<{ text: string; from: RemoteInfo }>();
  socket.on('message', (message, from) => received.push({ text: message.toString('utf8'), from }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    received,
    send: (text: string, to: RemoteInfo) => new Promise<void>((resolve) => socket.send(text, to.port, to.address, () => resolve())),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A loopback UDP port that nothing listens on (bound, then released). */
export async function closedUdpPort(): Promise<number> {
  const peer = await udpPeer();
  await peer.close();
  return peer.port;
}

/** Lets pending I/O callbacks and microtasks run. */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP or TLS "server" on an ephemeral loopback port, recording what each connection sends. */
export async function streamPeer(tlsOptions?: { key: string; cert: string }) {
  const connections = new Inbox<Socket>();
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    connections.push(socket);
  };
  const server: Server = tlsOptions ? createTlsServer(tlsOptions, onConnection) : createServer(onConnection);
  // Quiet failed TLS handshakes: those are what several tests provoke.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Collects what a server-side connection receives, as text. */
export function readAll(socket: Socket): { text: () => string; until: (needle: string) => Promise<string> } {
  let buffer = '';
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (const waiter of waiters.splice(0)) waiter();
  });
  const until = async (needle: string): Promise<string> => {
    const deadline = Date.now() + WAIT_MS;
    while (!buffer.includes(needle)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(needle)} in ${JSON.stringify(buffer)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return buffer;
  };
  return { text: () => buffer, until };
}

/** A loopback TCP port that nothing listens on. */
export async function closedTcpPort(): Promise<number> {
  const peer = await streamPeer();
  await peer.close();
  return peer.port;
}

/**
 * A loopback port where TCP connects hang: a child process listens with a backlog of one and never
 * accepts (its event loop is blocked), so once two connections fill the queue the kernel drops
 * further SYNs. Real loopback, no unroutable address needed.
 */
export async function blackholeTcpPort(): Promise<{ port: number; close: () => void }> {
  const child = spawn(process.execPath, [
    '-e',
    `const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{process.stdout.write(s.address().port+'\\n');Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0)})`,
  ]);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  const fillers = await Promise.all([0, 1].map(() => connectNow(port)));
  return {
    port,
    close: () => {
      for (const filler of fillers) filler.destroy();
      child.kill('SIGKILL');
    },
  };
}

function connectNow(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}
