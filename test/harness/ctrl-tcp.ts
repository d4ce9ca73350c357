/**
 * Client for baresip's `ctrl_tcp` module: netstring-framed JSON (`<length>:<json>,`) both ways.
 * Commands go out as `{"command","params","token"}`; baresip answers `{"response":true,"ok",
 * "data","token"}` and pushes `{"event":true,"type",…}` at any time (modules/ctrl_tcp/ctrl_tcp.c,
 * baresip v1.0.0).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';

/** One JSON object baresip sent: an event (`event: true`) or a command response (`response: true`). */
export type CtrlMessage = Record<string, unknown>;

/** The response to one command. `data` is the command's printed output (may be ''). */
export interface CtrlResponse {
  ok: boolean;
  data: string;
}

/**
 * Splits a byte stream into netstrings. Returns the complete payloads and the unconsumed rest.
 * Throws on a malformed length prefix (the stream cannot be re-synchronised after that).
 */
export function splitNetstrings(buffer: Buffer): { payloads: Buffer[]; rest: Buffer } {
  const payloads: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const colon = buffer.indexOf(0x3a, offset);
    if (colon < 0) break;
    const lengthText = buffer.subarray(offset, colon).toString('latin1');
    if (!/^\d{1,9}$/.test(lengthText)) throw new Error(`ctrl_tcp: bad netstring length ${JSON.stringify(lengthText.slice(0, 20))}`);
    const length = Number(lengthText);
    const end = colon + 1 + length;
    if (buffer.length < end + 1) break;
    if (buffer[end] !== 0x2c) throw new Error('ctrl_tcp: netstring without trailing comma');
    payloads.push(buffer.subarray(colon + 1, end));
    offset = end + 1;
  }
  return { payloads, rest: buffer.subarray(offset) };
}

/** Encodes one payload as a netstring. */
export function netstring(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`, 'latin1'), body, Buffer.from(',', 'latin1')]);
}

/**
 * One TCP connection to ctrl_tcp. Emits 'message' for every decoded object and 'close' once.
 * TCP_NODELAY is set and every chunk is read at once, so events are not held back by Nagle plus
 * delayed ACK (FIELD-NOTES: tens of ms otherwise).
 */
export class CtrlTcpClient extends EventEmitter {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<string, { resolve: (r: CtrlResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private tokenCounter = 0;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClose());
  }

  /** Connects once; rejects on refusal or after `timeoutMs`. */
  static connect(host: string, port: number, timeoutMs: number): Promise<CtrlTcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`ctrl_tcp ${host}:${port}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new CtrlTcpClient(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /**
   * Sends `command` (a menu command: dial, accept, hangup, hold, resume, sndcode, transfer, …)
   * and resolves with baresip's response. Rejects when the connection closes or after `timeoutMs`.
   */
  command(command: string, params: string | undefined, timeoutMs: number): Promise<CtrlResponse> {
    if (this.closed) return Promise.reject(new Error(`ctrl_tcp: connection closed, cannot send ${command}`));
    const token = `t${++this.tokenCounter}`;
    const message = params === undefined ? { command, token } : { command, params, token };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`ctrl_tcp: no response to ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, { resolve, reject, timer });
      this.socket.write(netstring(JSON.stringify(message)));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let split: ReturnType<typeof splitNetstrings>;
    try {
      split = splitNetstrings(this.buffer);
    } catch (error) {
      this.emit('protocol-error', error);
      this.socket.destroy();
      return;
    }
    this.buffer = Buffer.from(split.rest);
    for (const payload of split.payloads) {
      let message: CtrlMessage;
      try {
        message = JSON.parse(payload.toString('utf8')) as CtrlMessage;
      } catch {
        continue; // baresip only sends JSON objects; a broken one is skipped, not fatal
      }
      if (message['response'] === true && typeof message['token'] === 'string') {
        const waiter = this.pending.get(message['token']);
        if (waiter) {
          this.pending.delete(message['token']);
          clearTimeout(waiter.timer);
          waiter.resolve({ ok: message['ok'] === true, data: typeof message['data'] === 'string' ? message['data'] : '' });
        }
      }
      this.emit('message', message);
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [token, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`ctrl_tcp: connection closed before the response to ${token}`));
    }
    this.pending.clear();
    this.emit('close');
  }
}
