import { describe, expect, it } from 'vitest';
import { nextFailbackAt, nextRetryAt, parseRetryAfter, refreshDelayMs, requestedExpires, retryDelayMs, silenceBudgetMs } from '../../../main/sip/registration-schedule';

describe('registration schedules', () => {
  it('refreshes at 50 % of the granted lifetime', () => {
    expect(refreshDelayMs(3600)).toBe(1_800_000);
    expect(refreshDelayMs(20)).toBe(10_000);
  });

  it('silence budget: (2^(N+1) − 1)·T1 for a non-last server, 64·T1 for the last', () => {
    expect(silenceBudgetMs(3, false)).toBe(7_500);
    expect(silenceBudgetMs(0, false)).toBe(500);
    expect(silenceBudgetMs(10, false)).toBe(1_023_500);
    expect(silenceBudgetMs(3, true)).toBe(32_000);
  });

  it('always asks for the configured lifetime, never below a Min-Expires learnt from a 423', () => {
    expect(requestedExpires(3600, null)).toBe(3600);
    expect(requestedExpires(30, 60)).toBe(60);
    expect(requestedExpires(3600, 60)).toBe(3600);
  });

  it('retry waits the longer of the retry delay and the first Retry-After deadline (RFC 3261 §21.5.4)', () => {
    expect(nextRetryAt(1_000, 30, [null])).toBe(31_000);
    expect(nextRetryAt(1_000, 30, [61_000])).toBe(61_000);
    expect(nextRetryAt(1_000, 30, [61_000, null])).toBe(31_000);
    expect(nextRetryAt(1_000, 30, [61_000, 91_000])).toBe(61_000);
    expect(nextRetryAt(1_000, 30, [11_000])).toBe(31_000);
  });

  it('failback probe waits the interval, or the primary\'s Retry-After when later', () => {
    expect(nextFailbackAt(0, 30, null)).toBe(30_000);
    expect(nextFailbackAt(0, 30, 60_000)).toBe(60_000);
  });

  it('reads Retry-After seconds with or without a comment and duration', () => {
    expect(parseRetryAfter('60')).toBe(60);
    expect(parseRetryAfter('18000;duration=3600')).toBe(18000);
    expect(parseRetryAfter('120 (I\'m in a meeting)')).toBe(120);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });

  it('retry delay is fixed', () => {
    expect(retryDelayMs(60)).toBe(60_000);
  });
});
