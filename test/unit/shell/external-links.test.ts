import { describe, expect, it } from 'vitest';
import { createExternalOpener, externalUrl } from '../../../main/shell/external-links';

function setup(answer: boolean) {
  const asked: string[] = [];
  const opened: string[] = [];
  const open = createExternalOpener({
    confirm: async (url) => {
      asked.push(url);
      return answer;
    },
    open: async (url) => {
      opened.push(url);
    },
  });
  return { open, asked, opened };
}

describe('opening links in the browser', () => {
  it('an https link opens only after the person confirms the exact address', async () => {
    const { open, asked, opened } = setup(true);
    expect(await open('https://example.org/help?topic=failback')).toBe(true);
    expect(asked).toEqual(['https://example.org/help?topic=failback']);
    expect(opened).toEqual(['https://example.org/help?topic=failback']);
  });

  it('declined: nothing opens', async () => {
    const { open, opened } = setup(false);
    expect(await open('http://example.org/')).toBe(false);
    expect(opened).toEqual([]);
  });

  it('any other scheme, or a URL hiding user info, is refused without even asking', async () => {
    const { open, asked, opened } = setup(true);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://server/share', 'sip:1001@example.org', 'https://bank.example@evil.example/', 'https://user:pw@example.org/', 'not a url']) {
      expect(await open(url), url).toBe(false);
    }
    expect(asked).toEqual([]);
    expect(opened).toEqual([]);
  });

  it('normalises what it shows and opens', () => {
    expect(externalUrl('HTTPS://Example.ORG/a b')).toBe('https://example.org/a%20b');
  });
});
