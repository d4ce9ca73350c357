import { describe, expect, it } from 'vitest';
import { dialTargetOfLink, linkFromArgv } from '../../../main/shell/dial-links';

describe('dial links (single-instance argv, open-url)', () => {
  it('finds the link among the arguments a second instance was started with', () => {
    expect(linkFromArgv(['/opt/Trunkline/trunkline', '--no-sandbox', 'tel:+15550100199'])).toBe('tel:+15550100199');
    expect(linkFromArgv(['C:\\Trunkline\\Trunkline.exe', '--allow-file-access-from-files', 'CallTo://1002'])).toBe('CallTo://1002');
    expect(linkFromArgv(['/opt/Trunkline/trunkline', '.'])).toBeNull();
  });

  it('turns each scheme into what the dialer shows', () => {
    expect(dialTargetOfLink('tel:+1-555-010-0199')).toBe('+15550100199');
    expect(dialTargetOfLink('tel:+1%20(555)%20010-0199;phone-context=example.org')).toBe('+15550100199');
    expect(dialTargetOfLink('callto:+15550100199')).toBe('+15550100199');
    expect(dialTargetOfLink('callto://alice/')).toBe('alice');
    expect(dialTargetOfLink('sip:1002@pbx.example.org')).toBe('sip:1002@pbx.example.org');
    expect(dialTargetOfLink('SIPS:1002@pbx.example.org;transport=tls?Subject=x')).toBe('sips:1002@pbx.example.org');
  });

  it('refuses what is not a phone link or carries control characters', () => {
    expect(dialTargetOfLink('https://example.org')).toBeNull();
    expect(dialTargetOfLink('tel:')).toBeNull();
    expect(dialTargetOfLink('sip:a@b%0d%0aVia: evil')).toBeNull();
    expect(dialTargetOfLink('tel:%ZZ')).toBeNull();
    expect(dialTargetOfLink(`tel:${'1'.repeat(600)}`)).toBeNull();
  });
});
