import { describe, expect, it } from 'vitest';
import { LineForm } from '../../../renderer/src/state/line-form.svelte';

function filledForm(): LineForm {
  const form = new LineForm();
  Object.assign(form.draft, { id: 'a', username: '1001', domain: 'example.org', password: 'pw' });
  form.draft.servers[0]!.host = 'sip.example.org';
  return form;
}

describe('line form', () => {
  it('a problem shows at its field once the field was left, with the range from the schema', () => {
    const form = filledForm();
    form.draft.retryDelay = '5';
    expect(form.valid).toBe(false);
    expect(form.errorFor('retryDelay')).toBeNull();
    form.touch('retryDelay');
    expect(form.errorFor('retryDelay')).toBe('must be an integer from 30 to 600 seconds (got 5)');
    form.draft.retryDelay = '30';
    expect(form.errorFor('retryDelay')).toBeNull();
    expect(form.valid).toBe(true);
  });

  it('the Calls section validates inline like every field: allowed values named, cross-field rule at its field', () => {
    const form = filledForm();
    form.draft.calls.rtpTimeout = '2';
    form.draft.calls.rtpPortMax = '9000';
    form.touch('calls.rtpTimeout');
    form.touch('calls.rtpPortMax');
    expect(form.errorFor('calls.rtpTimeout')).toBe('must be 0, or an integer from 5 to 3600 seconds (0 = off) (got 2)');
    form.draft.calls.rtpTimeout = '0';
    expect(form.errorFor('calls.rtpTimeout')).toBeNull();
    expect(form.errorFor('calls.rtpPortMax')).toBe('must be greater than rtpPortMin (10000): RTP takes an even port and RTCP the next one (got 9000)');
    form.draft.calls.rtpPortMax = '10100';
    expect(form.valid).toBe(true);
  });

  it("main's refusal stays at its field while the value is the one refused", () => {
    const form = filledForm();
    form.refusedByMain([{ path: 'id', message: 'must be unique ("a" exists)' }]);
    expect(form.errorFor('id')).toBe('must be unique ("a" exists)');
    form.draft.id = 'b';
    expect(form.errorFor('id')).toBeNull();
    form.draft.id = 'a';
    expect(form.errorFor('id')).toBe('must be unique ("a" exists)');
  });

  it('servers are added (up to 8), reordered and removed (never the last one)', () => {
    const form = filledForm();
    form.draft.servers[0]!.transport = 'tls';
    for (let i = 0; i < 10; i++) form.addServer();
    expect(form.draft.servers).toHaveLength(8);
    expect(form.draft.servers[7]!.transport).toBe('tls');
    form.draft.servers[1]!.host = 'second';
    form.moveServer(1, -1);
    expect(form.draft.servers[0]!.host).toBe('second');
    for (let i = 0; i < 10; i++) form.removeServer(0);
    expect(form.draft.servers).toHaveLength(1);
  });

  it('after a server moves, answers about server indexes no longer apply', () => {
    const form = filledForm();
    form.addServer();
    form.draft.servers[1]!.host = 'b';
    form.refusedByMain([{ path: 'servers[1].host', message: 'is wrong' }]);
    expect(form.errorFor('servers[1].host')).toBe('is wrong');
    form.moveServer(1, -1);
    expect(form.errorFor('servers[0].host')).toBeNull();
    expect(form.errorFor('servers[1].host')).toBeNull();
  });
});
