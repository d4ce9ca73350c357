import { describe, expect, it } from 'vitest';
import { testCallJsonEvent } from '../../../main/monitor/cli';

describe('the monitor\'s test-call JSON event', () => {
  it('has exactly the documented fields, in order, nulls kept', () => {
    const text = testCallJsonEvent({
      line: 'carrier-a', time: 1_700_000_000_000, result: 'failed', code: 404, reason: 'Not Found',
      setupMs: null, mos: null, jitterMs: null, packetsLostRatio: null, lost: null,
    });
    expect(text).toBe('{"time":1700000000000,"line":"carrier-a","event":"test-call","result":"failed","code":404,"reason":"Not Found","setupMs":null,"mos":null,"jitterMs":null,"lost":null}');
  });
});
