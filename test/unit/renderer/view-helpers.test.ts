import { describe, expect, it } from 'vitest';
import { activeServerText, responseText } from '../../../renderer/src/model/server-role';
import { summary, traceText } from '../../../renderer/src/model/trace-text';
import { scrollToReveal, visibleRange } from '../../../renderer/src/model/visible-range';
import { Ticker } from '../../../renderer/src/state/ticker.svelte';

describe('what the panel shows', () => {
  it('names the active server by its place in the list', () => {
    expect(activeServerText(0, '10.0.0.1:5060/udp')).toBe('primary · 10.0.0.1:5060/udp');
    expect(activeServerText(2, '10.0.0.3:5061/tls')).toBe('backup 2 · 10.0.0.3:5061/tls');
    expect(activeServerText(null, null)).toBe('—');
  });

  it('shows a response once with its code; a local failure by its reason', () => {
    expect(responseText(200, 'OK')).toBe('200 OK');
    expect(responseText(503, '503 Service Unavailable')).toBe('503 Service Unavailable');
    expect(responseText(0, 'no response within 7500 ms')).toBe('no response within 7500 ms');
    expect(responseText(null, null)).toBe('—');
  });

  it('summarises SIP messages for the trace list and writes them whole for export', () => {
    const request = 'REGISTER sip:example.org SIP/2.0\r\nCSeq: 2 REGISTER\r\n\r\n';
    const response = 'SIP/2.0 401 Unauthorized\r\nCSeq: 1 REGISTER\r\n\r\n';
    expect(summary(request)).toBe('REGISTER');
    expect(summary(response)).toBe('401 Unauthorized (REGISTER)');
    const text = traceText([{ time: 0, line: 'a', server: 1, direction: 'received', retransmission: true, text: response }]);
    expect(text).toContain('received from backup 1 (retransmission)');
    expect(text).toContain('SIP/2.0 401 Unauthorized\nCSeq: 1 REGISTER');
  });
});

describe('virtual rows', () => {
  it('renders the rows on screen plus a few either side, never past the ends', () => {
    expect(visibleRange(0, 280, 28, 5000, 6)).toEqual({ start: 0, end: 17 });
    expect(visibleRange(28 * 1000, 280, 28, 5000, 6)).toEqual({ start: 994, end: 1017 });
    expect(visibleRange(28 * 5000, 280, 28, 5000, 6)).toEqual({ start: 4993, end: 5000 });
    expect(visibleRange(0, 280, 28, 0)).toEqual({ start: 0, end: 0 });
  });

  it('scrolls just enough to reveal a row', () => {
    expect(scrollToReveal(5, 0, 280, 28)).toBeNull();
    expect(scrollToReveal(20, 0, 280, 28)).toBe(21 * 28 - 280);
    expect(scrollToReveal(2, 280, 280, 28)).toBe(56);
  });
});

describe('the shared ticker', () => {
  it('is one timer, stepping just after each whole second', () => {
    let now = 10_250;
    const delays: number[] = [];
    let next: (() => void) | null = null;
    const ticker = new Ticker((callback, ms) => {
      delays.push(ms);
      next = callback;
      return () => (next = null);
    }, () => now);
    ticker.start();
    ticker.start();
    expect(delays).toEqual([755]);
    now = 11_005;
    next!();
    expect(ticker.now).toBe(11_005);
    expect(delays).toEqual([755, 1000]);
    ticker.destroy();
    expect(next).toBeNull();
  });
});
