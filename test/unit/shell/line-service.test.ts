import { describe, expect, it } from 'vitest';
import type { EventMap, EventName, LineView } from '../../../preload/contract';
import { MemoryLineRepository } from '../../../main/shell/line-repository';
import { LineService } from '../../../main/shell/line-service';
import { SipEngine } from '../../../main/sip/engine';
import { FakeClock, flush } from '../../fake-clock';
import { ScriptedChannel } from '../sip/scripted-channel';

function setup() {
  const clock = new FakeClock();
  const engine = new SipEngine({ clock, createChannel: () => new ScriptedChannel(clock) });
  const repository = new MemoryLineRepository();
  const events: { event: EventName; payload: unknown }[] = [];
  const opened: string[] = [];
  const service = new LineService(engine, repository, <E extends EventName>(event: E, payload: EventMap[E]) => void events.push({ event, payload }), async (url) => {
    opened.push(url);
    return true;
  });
  return { clock, engine, repository, service, events, opened };
}

const input = { id: 'a', username: '1001', password: 'pw', domain: 'example.org', servers: [{ host: '127.0.0.1' }] };

describe('line service (the main side of the bridge)', () => {
  it('adds a line, persists it, answers a view without the secret, and pushes events', async () => {
    const { clock, service, repository, events } = setup();
    const added = await service.dispatch('lines:add', [input]);
    expect(added.ok).toBe(true);
    const view = (added as { value: LineView }).value;
    expect(view.config).not.toHaveProperty('password');
    expect(view.config.hasPassword).toBe(true);
    expect(JSON.stringify(view)).not.toContain('"pw"');
    expect(repository.loadLines()[0]!.password).toBe('pw');
    await clock.advanceAsync(100);
    await flush();
    expect(events.some((e) => e.event === 'line:changed' && (e.payload as { state: string }).state === 'registered')).toBe(true);
  });

  it('refuses a bad line with one error per field, naming what is allowed, and keeps nothing', async () => {
    const { service, repository } = setup();
    const result = await service.dispatch('lines:add', [{ ...input, retryDelay: 5, servers: [{ host: 'h', port: 0 }] }]);
    expect(result).toEqual({
      ok: false,
      error: {
        message: 'the line has 2 invalid fields',
        fields: [
          { path: 'servers[0].port', message: 'must be an integer from 1 to 65535 (got 0)' },
          { path: 'retryDelay', message: 'must be an integer from 30 to 600 seconds (got 5)' },
        ],
      },
    });
    expect(repository.loadLines()).toEqual([]);
  });

  it('an edit without a password keeps the stored one; with one, replaces it', async () => {
    const { clock, service, repository } = setup();
    await service.dispatch('lines:add', [input]);
    const { password: _pw, ...noPassword } = input;
    // An edit unregisters the old line first, which waits (in virtual time) for its REGISTER.
    const [edited] = await Promise.all([service.dispatch('lines:update', ['a', { ...noPassword, retryDelay: 90 }]), clock.advanceAsync(5_000)]);
    expect(edited.ok).toBe(true);
    expect(repository.loadLines()[0]).toMatchObject({ password: 'pw', retryDelay: 90 });
    await Promise.all([service.dispatch('lines:update', ['a', { ...input, password: 'new' }]), clock.advanceAsync(5_000)]);
    expect(repository.loadLines()[0]!.password).toBe('new');
  });

  it('exports the monitor format without secrets unless asked, and imports it back', async () => {
    const { clock, service, engine } = setup();
    await service.dispatch('lines:add', [input]);
    const plain = (await service.dispatch('lines:export', [{ includeSecrets: false }])) as { ok: true; value: string };
    expect(plain.value).not.toContain('"password"');
    const secret = (await service.dispatch('lines:export', [{ includeSecrets: true }])) as { ok: true; value: string };
    expect(JSON.parse(secret.value).lines[0].password).toBe('pw');
    const imported = await service.dispatch('lines:import', [plain.value.replace('"a"', '"b"')]);
    expect(imported).toEqual({ ok: true, value: { added: 1, replaced: 0 } });
    // Replacing line a unregisters it first, which waits (in virtual time) for its REGISTER.
    const [again] = await Promise.all([service.dispatch('lines:import', [plain.value]), clock.advanceAsync(5_000)]);
    expect(again).toEqual({ ok: true, value: { added: 0, replaced: 1 } });
    expect(engine.config('a').password).toBe('pw');
  });

  it('answers unknown commands, bad arguments and bad settings with an error, never a throw', async () => {
    const { service } = setup();
    expect(await service.dispatch('lines:drop-table', [])).toEqual({ ok: false, error: { message: 'unknown command "lines:drop-table"' } });
    expect(await service.dispatch('lines:remove', [42])).toMatchObject({ ok: false, error: { message: expect.stringContaining('id:') } });
    expect(await service.dispatch('lines:remove', ['nope'])).toMatchObject({ ok: false, error: { message: 'no line "nope"' } });
    expect(await service.dispatch('settings:update', [{ theme: 'neon' }])).toMatchObject({ ok: false, error: { message: 'theme: must be one of "system", "light", "dark"' } });
    expect(await service.dispatch('lines:list', 'x')).toMatchObject({ ok: false });
  });

  it('opens only http(s) links, through the confirming opener', async () => {
    const { service, opened } = setup();
    expect(await service.dispatch('app:open-external', ['https://example.org/help'])).toEqual({ ok: true, value: true });
    expect(await service.dispatch('app:open-external', ['file:///etc/passwd'])).toMatchObject({ ok: false });
    expect(await service.dispatch('app:open-external', ['javascript:alert(1)'])).toMatchObject({ ok: false });
    expect(opened).toEqual(['https://example.org/help']);
  });
});
