import { describe, expect, it } from 'vitest';
import type { RequestFilter } from '../../../main/shell/remote-request-guard';
import { blockRemoteRequests, REMOTE_URL_PATTERNS } from '../../../main/shell/remote-request-guard';

describe('no remote content, at the network layer', () => {
  it('cancels every http(s), ws(s), ftp and file request the UI session makes', () => {
    let filter: { urls: string[] } | null = null;
    let listener: Parameters<RequestFilter['onBeforeRequest']>[1] | null = null;
    blockRemoteRequests({ onBeforeRequest: (f, l) => ((filter = f), (listener = l)) });
    expect(filter).toEqual({ urls: REMOTE_URL_PATTERNS });
    expect(REMOTE_URL_PATTERNS).toEqual(['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*', 'file://*/*']);
    const answers: boolean[] = [];
    listener!({ url: 'https://cdn.example/lib.js' }, (r) => answers.push(r.cancel));
    expect(answers).toEqual([true]);
  });
});
