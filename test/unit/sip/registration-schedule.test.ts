import { describe, expect, it } from 'vitest';
import { refreshDelayMs, requestedExpires, retryDelayMs, silenceBudgetMs } from '../../../main/sip/registration-schedule';

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

  it('auto asks for what was granted, fixed for what was configured, both never below Min-Expires', () => {
    expect(requestedExpires('auto', 3600, null, null)).toBe(3600);
    expect(requestedExpires('auto', 3600, 600, null)).toBe(600);
    expect(requestedExpires('fixed', 3600, 600, null)).toBe(3600);
    expect(requestedExpires('fixed', 30, null, 60)).toBe(60);
  });

  it('retry delay is fixed', () => {
    expect(retryDelayMs(60)).toBe(60_000);
  });
});
