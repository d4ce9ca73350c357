/**
 * A fixed-bucket histogram of intervals (0.1 ms buckets up to 200 ms, one overflow bucket): the
 * sender's inter-packet intervals as it issued them, for p50/p99 without keeping every sample.
 */

const BUCKET_MS = 0.1;
const BUCKETS = 2000;

export interface IntervalSummary {
  /** Milliseconds; the bucket's upper edge (±0.1 ms). */
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export class IntervalHistogram {
  private readonly buckets = new Uint32Array(BUCKETS + 1);
  private count = 0;
  private max = 0;

  record(intervalMs: number): void {
    const index = Math.min(BUCKETS, Math.max(0, Math.floor(intervalMs / BUCKET_MS)));
    this.buckets[index]!++;
    this.count++;
    if (intervalMs > this.max) this.max = intervalMs;
  }

  summary(): IntervalSummary | null {
    if (this.count === 0) return null;
    return { p50: this.percentile(50), p99: this.percentile(99), max: this.max, count: this.count };
  }

  private percentile(p: number): number {
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return i === BUCKETS ? this.max : Math.round((i + 1) * BUCKET_MS * 10) / 10;
    }
    return this.max;
  }
}
