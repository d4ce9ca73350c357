/**
 * Drift-free packet pacing as a pure function. Packet n is due at `startAt + n × ptime`; each
 * wake-up sends what is due and sleeps until the next deadline, so timer lateness never
 * accumulates (unlike setInterval, whose error adds up). After a stall longer than `maxBurst`
 * packets, the oldest ones are skipped rather than sent in a burst: late audio is worse than a
 * gap, and the receiver sees the gap in the timestamps.
 */

export interface PacketsDue {
  /** Index of the first packet to handle now (after any skipped ones). */
  firstIndex: number;
  /** Packets skipped before `firstIndex` (their timestamps pass unsent). */
  skipped: number;
  /** Packets to send now, from `firstIndex` on. */
  count: number;
  /** Delay until the next packet is due, ms (≥ 0). */
  nextDelayMs: number;
}

export function packetsDue(startAt: number, ptimeMs: number, nextIndex: number, now: number, maxBurst = 3): PacketsDue {
  const dueIndex = Math.floor((now - startAt) / ptimeMs);
  const pending = Math.max(0, dueIndex - nextIndex + 1);
  const skipped = Math.max(0, pending - maxBurst);
  const following = Math.max(dueIndex + 1, nextIndex);
  return {
    firstIndex: nextIndex + skipped,
    skipped,
    count: pending - skipped,
    nextDelayMs: Math.max(0, startAt + following * ptimeMs - now),
  };
}
