/**
 * Reception statistics for one RTP source (RFC 3550 Appendix A.1, A.3, A.8): extended highest
 * sequence number, packets expected and lost, fraction lost per report interval, interarrival
 * jitter. Pure arithmetic: arrival times are passed in, so it runs under plain numbers in tests.
 *
 * Simplification of A.1: no probation (the first packet is accepted as the base), since a SIP
 * call's SDP already tells us which source to expect.
 */

/** RFC 3550 A.1 constants. */
const RTP_SEQ_MOD = 1 << 16;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export interface ReportBlockFigures {
  /** RFC 3550 §6.4.1 fraction lost since the previous report, 0–255 (8-bit fixed point). */
  fractionLost: number;
  /** Cumulative lost, clamped to the 24-bit signed field. */
  packetsLost: number;
  extendedHighestSequence: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
}

export class RtpReceiveStats {
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit: number | null = null;
  /** Jitter in timestamp units, kept as a float (A.8 keeps it scaled by 16 in integers). */
  private jitterUnits = 0;
  private started = false;

  /** @param clockRate RTP timestamp rate in Hz (8000 for G.711). */
  constructor(private readonly clockRate: number) {}

  /**
   * Accounts for one packet. `arrivalMs` is the local arrival time in ms (any epoch, monotonic).
   * Returns false when the packet is out of the acceptable window (A.1 "bad sequence").
   */
  update(seq: number, timestamp: number, arrivalMs: number): boolean {
    if (!this.started) {
      this.initSeq(seq);
      this.started = true;
    } else if (!this.updateSeq(seq)) {
      return false;
    }
    this.received++;
    // RFC 3550 A.8: transit = arrival (in timestamp units) − RTP timestamp; J += (|D| − J) / 16.
    const arrivalUnits = (arrivalMs * this.clockRate) / 1000;
    const transit = arrivalUnits - timestamp;
    if (this.transit !== null) {
      let d = transit - this.transit;
      // Timestamp wrap between two packets shows up as a jump of ±2^32.
      if (d > 2 ** 31) d -= 2 ** 32;
      if (d < -(2 ** 31)) d += 2 ** 32;
      this.jitterUnits += (Math.abs(d) - this.jitterUnits) / 16;
    }
    this.transit = transit;
    return true;
  }

  /** RFC 3550 A.1 init_seq. */
  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /** RFC 3550 A.1 update_seq, without probation. */
  private updateSeq(seq: number): boolean {
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD; // wrapped
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: accept it only if the next packet follows it (the source restarted).
      if (seq === this.badSeq) {
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
        return false;
      }
    }
    // Otherwise a duplicate or reordered packet: counted as received, max unchanged.
    return true;
  }

  get packetsReceived(): number {
    return this.received;
  }

  get extendedHighestSequence(): number {
    return this.cycles + this.maxSeq;
  }

  /** RFC 3550 A.3: expected = extended max − base + 1. */
  get expected(): number {
    return this.started ? this.extendedHighestSequence - this.baseSeq + 1 : 0;
  }

  /** RFC 3550 A.3: lost = expected − received (negative with duplicates). */
  get packetsLost(): number {
    return this.expected - this.received;
  }

  get jitterMs(): number {
    return (this.jitterUnits * 1000) / this.clockRate;
  }

  /** Figures for an RTCP report block; advances the "prior" counters (A.3 fraction lost). */
  takeReportBlock(): ReportBlockFigures {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
    return {
      fractionLost: Math.min(255, fractionLost),
      // The field is 24-bit signed; werift-rtp writes it unsigned, so negative values are sent as 0.
      packetsLost: Math.max(0, Math.min(0x7fffff, this.packetsLost)),
      extendedHighestSequence: this.extendedHighestSequence >>> 0,
      jitter: Math.floor(this.jitterUnits),
    };
  }
}
