/**
 * The queue of digits a session sends as RFC 4733 events. Asked once per packet time whether an
 * event packet replaces the audio packet of that slot (RFC 4733 §2.5.1.2: the sender stops audio
 * for the event's duration); between digits the audio resumes for the gap.
 */
import { eventCode, eventPacketPlan } from './telephone-event';

export interface EventPacket {
  marker: boolean;
  /** The event's start timestamp: the same for all its packets (RFC 4733 §2.5.1.1). */
  timestamp: number;
  payload: Buffer;
}

type Step =
  | { kind: 'digit'; code: number; plan: { marker: boolean; payload: Buffer }[]; sent: number; timestamp: number | null }
  | { kind: 'pause'; slots: number };

interface Job {
  steps: Step[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/** ',' pauses this long, as in W3C RTCDTMFSender. */
const COMMA_PAUSE_MS = 2000;

export class DtmfSender {
  private jobs: Job[] = [];

  /**
   * Queues `digits`; resolves when their last end packet has been handed to the socket.
   * @param ptimeMs packet time (one step per slot)
   */
  enqueue(digits: string, durationMs: number, gapMs: number, ptimeMs: number): Promise<void> {
    const samplesPerPacket = ptimeMs * 8;
    const steps: Step[] = [];
    for (const digit of digits) {
      if (digit === ',') {
        steps.push({ kind: 'pause', slots: Math.ceil(COMMA_PAUSE_MS / ptimeMs) });
        continue;
      }
      const code = eventCode(digit);
      if (code === null) throw new Error(`digits: "${digit}" is not a DTMF digit (allowed: 0-9 * # A-D R and ",")`);
      if (steps.length > 0) steps.push({ kind: 'pause', slots: Math.max(1, Math.ceil(gapMs / ptimeMs)) });
      steps.push({ kind: 'digit', code, plan: eventPacketPlan(code, durationMs * 8, samplesPerPacket), sent: 0, timestamp: null });
    }
    return new Promise((resolve, reject) => this.jobs.push({ steps, resolve, reject }));
  }

  get busy(): boolean {
    return this.jobs.length > 0;
  }

  /** For the packet slot with RTP timestamp `timestamp`: the event packet to send, or null for audio. */
  next(timestamp: number): EventPacket | null {
    for (;;) {
      const job = this.jobs[0];
      if (!job) return null;
      const step = job.steps[0];
      if (!step) {
        this.jobs.shift();
        job.resolve();
        continue;
      }
      if (step.kind === 'pause') {
        if (--step.slots <= 0) job.steps.shift();
        return null;
      }
      step.timestamp ??= timestamp;
      const packet = step.plan[step.sent++]!;
      if (step.sent >= step.plan.length) job.steps.shift();
      return { marker: packet.marker, timestamp: step.timestamp, payload: packet.payload };
    }
  }

  /** Drops every queued digit, rejecting the waiting requests with `reason`. */
  cancel(reason: string): void {
    const jobs = this.jobs;
    this.jobs = [];
    for (const job of jobs) job.reject(new Error(reason));
  }
}
