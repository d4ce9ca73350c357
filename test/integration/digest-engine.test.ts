/**
 * Digest through the whole engine (issue 9, kind 4): the line's ServerLink answers challenges with
 * jssip-digest.ts. Against a real Kamailio whose auth module challenges with SHA-256 (UDP and
 * TCP, bindings read back with `ul.dump`), and against the scripted registrar for what Kamailio
 * cannot produce: two challenge headers, SHA-256 only, a realm change, grants that shrink.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportKind } from '../../common/line-config';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import type { AuthPolicy, ScriptedRegistrarOptions } from '../harness/scripted-registrar';
import { startScriptedRegistrar } from '../harness/scripted-registrar';
import { account, dialogViolations, DOMAIN, eventually, lineConfig, newEngine, registerDialogs, registeredOn, serverOf, USERS, waitForLine } from './engine-fixture';

const sentAuthorizations = (engine: ReturnType<typeof newEngine>, id: string): string[] =>
  engine
    .trace(id)
    .filter((t) => t.direction === 'sent' && t.text.startsWith('REGISTER '))
    .map((t) => /^Authorization:\s*(.*)$/im.exec(t.text)?.[1] ?? '');

describe('digest with SHA-256 against Kamailio (RFC 8760)', () => {
  let kamailio: KamailioInstance;
  beforeAll(async () => {
    kamailio = await startKamailio({ name: 'digest-sha256', users: USERS, domain: DOMAIN, authAlgorithm: 'SHA-256' });
  }, 30_000);
  afterAll(async () => {
    await kamailio?.stop();
  });

  for (const transport of ['udp', 'tcp'] as TransportKind[]) {
    it(`registers, refreshes and unregisters over ${transport}; one binding while registered, none after quit`, async () => {
      const user = transport === 'udp' ? '1031' : '1032';
      const engine = newEngine();
      try {
        engine.addLine(lineConfig({ id: 'sha', ...account(user), servers: [serverOf(kamailio, transport, { expires: 20 })], liveness: { interval: 0 } }));
        await waitForLine(engine, 'sha', registeredOn(0), 10_000, 'registered');
        const bindings = await kamailio.bindings(user);
        expect(bindings).toHaveLength(1);
        expect(bindings[0]!.contact).toContain(`transport=${transport}`);
        // The refresh at half of the 20 s grant: a second 200 OK on the same Call-ID.
        await eventually(() => [...registerDialogs(engine, 'sha').values()].some((d) => d.filter((x) => x.code === 200).length >= 2), 20_000, 'refresh 200 OK');
        expect(engine.history('sha').some((h) => h.to === 'auth-failed')).toBe(false);
        const authorizations = sentAuthorizations(engine, 'sha').filter(Boolean);
        expect(authorizations.length).toBeGreaterThan(0);
        expect(authorizations.every((a) => /algorithm=SHA-256/i.test(a))).toBe(true);
        expect(await kamailio.bindings(user)).toHaveLength(1);
      } finally {
        await engine.shutdown(2_000);
      }
      expect(await kamailio.bindings(user)).toHaveLength(0);
      for (const dialog of registerDialogs(engine, 'sha').values()) expect(dialogViolations(dialog)).toEqual([]);
      const last = engine.trace('sha').filter((t) => t.direction === 'sent' && t.text.startsWith('REGISTER ')).at(-1)!;
      expect(last.text).toMatch(/^Expires: 0\r?$/m);
      // Credentials went before being asked on the unregister (a known protection space).
      expect(last.text).toMatch(/^Authorization: Digest .*algorithm=SHA-256/im);
    }, 60_000);
  }

  it('a wrong password is auth-failed (the second challenge for the same credentials), never a failover', async () => {
    const engine = newEngine();
    try {
      engine.addLine(lineConfig({ id: 'bad', username: '1033', password: 'wrong', servers: [serverOf(kamailio, 'udp'), serverOf(kamailio, 'tcp')], liveness: { interval: 0 } }));
      const s = await waitForLine(engine, 'bad', (x) => x.state === 'auth-failed', 10_000, 'auth-failed');
      expect(s.code).toBe(401);
      expect(s.reason).toMatch(/refused the credentials/);
      expect(engine.history('bad').some((h) => h.event.kind === 'failover')).toBe(false);
    } finally {
      await engine.shutdown(1_000);
    }
  }, 30_000);
});

describe('digest against the scripted registrar', () => {
  async function run(options: Partial<ScriptedRegistrarOptions> & { auth: AuthPolicy[] }, fields: Record<string, unknown> = {}) {
    const registrar = await startScriptedRegistrar({ users: { alice: 's3cret' }, ...options });
    const engine = newEngine();
    engine.addLine(lineConfig({ id: 'd', username: 'alice', password: 's3cret', servers: [{ host: '127.0.0.1', port: registrar.port, transport: registrar.transport, expires: 20 }], liveness: { interval: 0 }, ...fields }));
    return {
      registrar,
      engine,
      async close() {
        await engine.shutdown(1_000);
        registrar.close();
      },
    };
  }

  it('a 401 with an MD5 and a SHA-256 header is answered with SHA-256 → registered', async () => {
    const t = await run({ auth: [{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'MD5', qop: 'auth' }, { algorithm: 'SHA-256', qop: 'auth' }] }] });
    try {
      await waitForLine(t.engine, 'd', registeredOn(0), 5_000, 'registered');
      const answered = t.registrar.requests('REGISTER').filter((r) => r.authorizations.length > 0);
      expect(answered[0]!.authorizations.map((a) => a.params.algorithm)).toEqual(['SHA-256']);
      expect(answered[0]!.verdict).toBe('ok');
    } finally {
      await t.close();
    }
  });

  it('a 401 offering only SHA-256 → registered', async () => {
    const t = await run({ auth: [{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'SHA-256' }] }] });
    try {
      await waitForLine(t.engine, 'd', registeredOn(0), 5_000, 'registered');
      expect(t.registrar.requests('REGISTER').map((r) => r.answered)).toEqual([401, 200]);
    } finally {
      await t.close();
    }
  });

  it('the realm changes after the first registration → the refresh answers the new realm, the line stays registered', async () => {
    const t = await run({
      auth: [{ kind: 'www', realm: 'old.test', offers: [{ qop: 'auth' }] }],
      onRegistered: (_r, reg) => {
        if (reg.successes === 1) reg.auth = [{ kind: 'www', realm: 'new.test', offers: [{ algorithm: 'SHA-256', qop: 'auth' }] }];
      },
    });
    try {
      await waitForLine(t.engine, 'd', registeredOn(0), 5_000, 'registered');
      await eventually(() => t.registrar.successes >= 2, 20_000, 'refresh in the new realm');
      const realms = t.registrar.requests('REGISTER').map((r) => [r.answered, r.authorizations.map((a) => a.params.realm).join()]);
      expect(realms.slice(0, 4)).toEqual([
        [401, ''],
        [200, 'old.test'],
        [401, 'old.test'],
        [200, 'new.test'],
      ]);
      expect(t.engine.snapshot('d').state).toBe('registered');
      expect(t.engine.history('d').some((h) => h.to === 'auth-failed')).toBe(false);
    } finally {
      await t.close();
    }
  }, 30_000);

  it('grants that shrink never walk the request down: every REGISTER asks for the configured 3600 s', async () => {
    const registrar = await startScriptedRegistrar({ users: { alice: 's3cret' }, auth: [{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'SHA-256', qop: 'auth' }] }], grants: [24, 22, 20] });
    const engine = newEngine();
    try {
      engine.addLine(lineConfig({ id: 'g', username: 'alice', password: 's3cret', servers: [{ host: '127.0.0.1', port: registrar.port, expires: 3600 }], liveness: { interval: 0 } }));
      await waitForLine(engine, 'g', registeredOn(0), 5_000, 'registered');
      await eventually(() => registrar.successes >= 3, 30_000, 'two refreshes');
      const asked = registrar.requests('REGISTER').map((r) => r.expires);
      expect(asked.length).toBeGreaterThanOrEqual(4);
      expect(new Set(asked)).toEqual(new Set(['3600']));
      expect(engine.snapshot('g').expires).toBe(20);
    } finally {
      await engine.shutdown(1_000);
      registrar.close();
    }
  }, 45_000);
});
