import { describe, expect, it } from 'vitest';
import { normaliseDialTarget } from '../../../common/dial-target';

const D = 'trunkline.test';

describe('normaliseDialTarget (SPEC "Dial")', () => {
  it.each([
    ['1002', 'sip:1002@trunkline.test', '1002'],
    ['  1002 ', 'sip:1002@trunkline.test', '1002'],
    ['+1 (555) 010-0100', 'sip:+15550100100@trunkline.test', '+15550100100'],
    ['030.1234.5678', 'sip:03012345678@trunkline.test', '03012345678'],
    ['*97#', 'sip:*97#@trunkline.test', '*97#'],
    ['alice', 'sip:alice@trunkline.test', 'alice'],
    ['sip:1002@example.com', 'sip:1002@example.com', '1002'],
    ['SIP:1002@example.com;transport=tcp', 'sip:1002@example.com;transport=tcp', '1002'],
    ['sips:bob@[::1]:5061', 'sips:bob@[::1]:5061', 'bob'],
    ['tel:+1-555-0100', 'tel:+15550100', '+15550100'],
  ])('%s → %s', (input, uri, user) => {
    expect(normaliseDialTarget(input, D)).toEqual({ ok: true, uri, user });
  });

  it('keeps a leading + and refuses one in the middle', () => {
    expect(normaliseDialTarget('+49 30 1234', D)).toMatchObject({ ok: true, uri: 'sip:+49301234@trunkline.test' });
    expect(normaliseDialTarget('49+30', D)).toMatchObject({ ok: false });
  });

  it.each([
    ['', /^to: must be a number or a sip:, sips: or tel: URI \(got ""\)$/],
    ['http://x', /only sip:, sips: and tel:/],
    ['tel:abc', /tel: URI must hold a number/],
    ['sip:@host', /user part/],
    ['sip:1002@', /must name a host/],
    ['bob@example.com', /add "sip:"/],
    ['12 ab', /must be a number/],
  ])('refuses %j naming the field', (input, message) => {
    const result = normaliseDialTarget(input, D);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  it('names the field it was given', () => {
    const result = normaliseDialTarget('', D, 'transfer target');
    expect(result.ok === false && result.error.startsWith('transfer target: ')).toBe(true);
  });
});
