import { describe, expect, it } from 'vitest';
import { parseLineConfig } from '../../../common/line-config';
import type { LineConfig } from '../../../common/line-config';
import { allowedText, hasFieldFor, isRequired } from '../../../renderer/src/model/field-rules';
import { draftFromConfig, draftToInput, emptyDraft, serverDraft } from '../../../renderer/src/model/line-draft';

function parsed(input: unknown): LineConfig {
  const result = parseLineConfig(input);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

function publicOf(config: LineConfig) {
  const { password, ...rest } = config;
  return { ...rest, hasPassword: password.length > 0 };
}

describe('the line form draft', () => {
  it('a new draft, once the required fields are filled, is exactly the schema defaults', () => {
    const draft = emptyDraft();
    Object.assign(draft, { id: 'a', username: '1001', domain: 'example.org', password: 'pw' });
    draft.servers[0]!.host = 'sip.example.org';
    expect(parsed(draftToInput(draft))).toEqual(parsed({ id: 'a', username: '1001', password: 'pw', domain: 'example.org', servers: [{ host: 'sip.example.org' }] }));
  });

  it('an existing line survives draft → input unchanged, and an edit keeps the stored password (none sent)', () => {
    const config = parsed({
      id: 'b', name: 'Carrier B', username: '1002', authUsername: 'auth-1002', password: 'secret', domain: 'example.org', displayName: 'Desk',
      servers: [
        { host: 'a.example.org', port: 5070, transport: 'tcp', expires: 600 },
        { host: 'b.example.org', transport: 'wss', path: '/ws', tls: { fingerprintSha256: Array(32).fill('AB').join(':') } },
      ],
      expiryMode: 'fixed', retryDelay: 90, signalRetryCount: 2, failback: { enabled: false, interval: 600 }, liveness: { interval: 0 },
      privacy: 'id', sendUnregister: false, stopFailoverAfterInviteTimeout: true, enabled: false,
      calls: { dtmfMode: 'info', codecs: ['PCMA', 'PCMU'], srtp: 'mandatory', rtpTimeout: 0, autoAnswerMs: 250 },
      nat: { rewriteContact: 'off', keepaliveInterval: 15 },
      testCall: { to: '1002', every: 300 },
    });
    const input = draftToInput(draftFromConfig(publicOf(config)));
    expect(input).not.toHaveProperty('password');
    expect(parsed(input)).toEqual({ ...config, password: '' });
  });

  it('set and clear send a password; keep sends none', () => {
    const draft = draftFromConfig(publicOf(parsed({ id: 'c', username: 'u', password: 'old', domain: 'd.org', servers: [{ host: 'h' }] })));
    expect(draftToInput({ ...draft, passwordMode: 'keep', password: 'typed' })).not.toHaveProperty('password');
    expect(draftToInput({ ...draft, passwordMode: 'set', password: 'new' }).password).toBe('new');
    expect(draftToInput({ ...draft, passwordMode: 'clear' }).password).toBe('');
  });

  it('numbers typed as text reach the schema as numbers; anything else reaches it as typed, to be quoted back', () => {
    const draft = emptyDraft();
    Object.assign(draft, { id: 'a', username: 'u', domain: 'd.org', retryDelay: ' 45 ', signalRetryCount: 'three' });
    draft.servers[0]!.host = 'h';
    const result = parseLineConfig(draftToInput(draft));
    expect(result).toEqual({ ok: false, errors: [{ path: 'signalRetryCount', message: 'must be an integer from 0 to 10 (got "three")' }] });
  });

  it('the Calls section: typed numbers checked by the schema with the field named; auto-answer off sends no delay', () => {
    const draft = { ...emptyDraft(), id: 'a', username: 'u', domain: 'd.org', servers: [serverDraft({ host: 'h' })] };
    draft.calls = { ...draft.calls, rtpPortMin: '20000', rtpPortMax: '20000', rtpTimeout: 'soon', autoAnswer: false, autoAnswerMs: '500' };
    const input = draftToInput(draft);
    expect(input.calls).not.toHaveProperty('autoAnswerMs');
    expect(parseLineConfig(input)).toEqual({ ok: false, errors: [
      { path: 'calls.rtpTimeout', message: 'must be 0, or an integer from 5 to 3600 seconds (0 = off) (got "soon")' },
    ] });
    draft.calls.rtpTimeout = '30';
    expect(parseLineConfig(draftToInput(draft))).toMatchObject({ ok: false, errors: [{ path: 'calls.rtpPortMax', message: /must be greater than rtpPortMin \(20000\)/ }] });
    draft.calls = { ...draft.calls, rtpPortMax: '20100', autoAnswer: true, autoAnswerMs: '' , codecs: ['PCMA'] };
    expect(parseLineConfig(draftToInput(draft))).toMatchObject({ ok: true, value: { calls: { rtpPortMin: 20000, rtpPortMax: 20100, rtpTimeout: 30, autoAnswerMs: 0, codecs: ['PCMA'] } } });
    expect(allowedText('calls.rtpPortMin')).toBe('an integer from 1024 to 65534');
    expect(hasFieldFor('calls.rtpPortMax')).toBe(true);
  });

  it('a WebSocket path and TLS settings are sent only with a transport that uses them', () => {
    const server = serverDraft({ host: 'h', transport: 'udp', path: '/ws', tlsFingerprint: 'AB' });
    const draft = { ...emptyDraft(), id: 'a', username: 'u', domain: 'd.org', servers: [server] };
    expect((draftToInput(draft).servers as object[])[0]).toEqual({ host: 'h', transport: 'udp', expires: 3600 });
  });

  it('each field shows what the schema allows, for any server index', () => {
    expect(allowedText('retryDelay')).toBe('an integer from 30 to 600 seconds');
    expect(allowedText('servers[5].expires')).toBe('an integer from 20 to 7200 seconds');
    expect(allowedText('liveness.interval')).toBe('0, or an integer from 5 to 3600 seconds (0 = off)');
    expect(isRequired('servers[0].host')).toBe(true);
    expect(isRequired('servers[0].port')).toBe(false);
    expect(isRequired('retryDelay')).toBe(false);
    expect(hasFieldFor('servers[2].tls.ca')).toBe(true);
    expect(hasFieldFor('servers')).toBe(true);
    expect(hasFieldFor('lines[0].id')).toBe(false);
  });
});
