/** The stream cannot be framed any more: the connection must be closed (RFC 3261 §18.3). */
export class FramingError extends Error {
  override readonly name = 'FramingError';
}

/** Default cap on one message, headers and body; a SIP message on a stream is rarely over 10 KiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

const PING = Buffer.from('\r\n\r\n');
const CR = 0x0d;
const LF = 0x0a;

/**
 * Cuts a TCP/TLS byte stream into SIP messages.
 *
 * RFC 3261 §18.3: on a stream every message carries Content-Length, counted in bytes, and the body
 * ends exactly there. RFC 5626 §3.5.1: between messages `\r\n\r\n` is a keepalive ping (returned as
 * is, for JsSIP to answer) and a lone `\r\n` a pong (consumed); RFC 3261 §7.5 says stray CRLFs
 * before a start line are ignored.
 *
 * Pull style: `push` bytes, then call `next` until it returns null, so a message handler that
 * throws or closes the socket never loses bytes already received.
 */
export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** The next complete message, `"\r\n\r\n"` for a ping, or null until more bytes arrive. */
  next(): string | null {
    for (;;) {
      if (this.buffer.length === 0) return null;
      if (this.buffer.subarray(0, 4).equals(PING)) {
        this.buffer = this.buffer.subarray(4);
        return '\r\n\r\n';
      }
      const first = this.buffer[0];
      if (first !== CR && first !== LF) break;
      // A CRLF that may still grow into a ping waits for the next bytes.
      if (this.buffer.length < 4 && PING.subarray(0, this.buffer.length).equals(this.buffer)) return null;
      this.buffer = this.buffer.subarray(1);
    }
    return this.nextMessage();
  }

  /** Bytes received but not yet returned. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  private nextMessage(): string | null {
    const headerEnd = this.buffer.indexOf('\r\n\r\n');
    if (headerEnd === -1) {
      if (this.buffer.length > this.maxMessageBytes) throw new FramingError(`header block exceeds ${this.maxMessageBytes} bytes`);
      return null;
    }
    const bodyStart = headerEnd + 4;
    const contentLength = parseContentLength(this.buffer.subarray(0, headerEnd).toString('latin1'));
    const total = bodyStart + contentLength;
    if (total > this.maxMessageBytes) throw new FramingError(`message of ${total} bytes exceeds ${this.maxMessageBytes}`);
    if (this.buffer.length < total) return null;
    const message = this.buffer.subarray(0, total).toString('utf8');
    this.buffer = this.buffer.subarray(total);
    return message;
  }
}

/** Content-Length (or compact `l`, RFC 3261 §7.3.3) of a header block; required on streams. */
function parseContentLength(head: string): number {
  const values = new Set<string>();
  for (const match of head.matchAll(/\r\n(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/gi)) {
    values.add((match[1] as string).trim());
  }
  if (values.size === 0) throw new FramingError('message without Content-Length on a stream transport');
  if (values.size > 1) throw new FramingError('conflicting Content-Length headers');
  const [value] = values as unknown as [string];
  if (!/^\d{1,9}$/.test(value)) throw new FramingError(`invalid Content-Length "${value}"`);
  return Number(value);
}
