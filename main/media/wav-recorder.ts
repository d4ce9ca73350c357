/**
 * Writes received audio as an 8 kHz mono 16-bit PCM WAV. Samples are buffered and appended about
 * twice a second; the RIFF and data sizes are written into the header on `close()`, so a file
 * whose recorder was never closed (host killed) still plays, just with a zero-length header.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';

const HEADER_BYTES = 44;
const FLUSH_BYTES = 8000; // 0.5 s of 8 kHz 16-bit audio

export function wavHeader(sampleRate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export class WavRecorder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  /** Serialises file operations: appends and the final header rewrite never interleave. */
  private chain: Promise<void>;
  private closed = false;

  private constructor(private readonly file: FileHandle, private readonly onError: (error: Error) => void) {
    this.chain = Promise.resolve();
  }

  /** Creates (truncates) `path` and writes a provisional header. */
  static async create(path: string, onError: (error: Error) => void): Promise<WavRecorder> {
    const file = await open(path, 'w');
    await file.write(wavHeader(8000, 0), 0, HEADER_BYTES, 0);
    return new WavRecorder(file, onError);
  }

  /** Appends 16-bit samples (copied). */
  write(samples: Int16Array): void {
    if (this.closed) return;
    const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    this.pending.push(Buffer.from(bytes));
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    const at = HEADER_BYTES + this.written;
    this.written += chunk.length;
    this.chain = this.chain.then(async () => {
      await this.file.write(chunk, 0, chunk.length, at);
    }).catch((error: Error) => this.onError(error));
  }

  /** Flushes, writes the final header and closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.flush();
    this.closed = true;
    this.chain = this.chain.then(async () => {
      await this.file.write(wavHeader(8000, this.written), 0, HEADER_BYTES, 0);
      await this.file.close();
    }).catch((error: Error) => this.onError(error));
    return this.chain;
  }
}
