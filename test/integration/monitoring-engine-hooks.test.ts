/**
 * The engine's monitoring hooks on real sockets: `registrationObserver` sees one outcome per
 * REGISTER/OPTIONS client transaction — the digest challenge (401 or 407) and its authenticated
 * retry apart, a silent server as `timeout`, a refused connection as `transport-error` — with the
 * round trip measured from the send; `traceSink` sees exactly what the trace records, with the
 * line's secret to mask. Against the scripted registrar (it answers what a test tells it to).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RegistrationObservation } from '../../main/sip/engine';
import { SipEngine } from '../../main/sip/engine';
import type { TraceRecord } from '../../main/sip/transport/sip-socket';
import { freePort } from '../harness/prometheus';
import type { AuthPolicy } from '../harness/scripted-registrar';
import { startScriptedRegistrar } from '../harness/scripted-registrar';
import { DOMAIN, eventually, lineConfig, registeredOn, waitForLine } from './engine-fixture';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function observedEngine() {
  const observations: RegistrationObservation[] = [];
  const sunk: { record: TraceRecord; secrets: readonly string[] }[] = [];
  const engine = new SipEngine({
    userAgent: 'Trunkline-test',
    registrationObserver: (o) => observations.push(o),
    traceSink: (record, secrets) => sunk.push({ record, secrets }),
  });
  cleanups.push(() => engine.shutdown(1_000));
  return { engine, observations, sunk };
}

async function registrar(auth: AuthPolicy[], onRequest?: Parameters<typeof startScriptedRegistrar>[0]['onRequest']) {
  const r = await startScriptedRegistrar({ users: { alice: 's3cret' }, auth, ...(onRequest ? { onRequest } : {}) });
  cleanups.push(() => r.close());
  return r;
}

const line = (port: number, fields: Record<string, unknown> = {}) =>
  lineConfig({ id: 'h', username: 'alice', password: 's3cret', domain: DOMAIN, servers: [{ host: '127.0.0.1', port, transport: 'udp' }], liveness: { interval: 0 }, ...fields });

describe('engine monitoring hooks', () => {
  it('401 then 200: two REGISTER outcomes with round trips; OPTIONS liveness too; the trace sink gets every traced message and the secret', async () => {
    const r = await registrar([{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'MD5', qop: 'auth' }], methods: ['REGISTER'] }]);
    const { engine, observations, sunk } = observedEngine();
    engine.addLine(line(r.port, { liveness: { interval: 5 } }));
    await waitForLine(engine, 'h', registeredOn(0), 5_000, 'registered');
    expect(r.requests('REGISTER').map((q) => q.answered)).toEqual([401, 200]);
    const registers = observations.filter((o) => o.method === 'REGISTER');
    expect(registers.map((o) => [o.line, o.server, o.outcome])).toEqual([['h', 0, 401], ['h', 0, 200]]);
    for (const o of registers) {
      expect(o.rttMs).not.toBeNull();
      expect(o.rttMs!).toBeGreaterThanOrEqual(0);
    }
    await eventually(() => observations.some((o) => o.method === 'OPTIONS'), 10_000, 'an OPTIONS outcome');
    const options = observations.find((o) => o.method === 'OPTIONS')!;
    expect(options).toMatchObject({ line: 'h', server: 0 });
    expect(typeof options.outcome).toBe('number');
    expect(options.rttMs).not.toBeNull();
    // The sink saw exactly the traced messages (unmasked: masking is the sink's job), each with the secret.
    const trace = engine.trace('h');
    expect(sunk.map((s) => s.record.time)).toEqual(trace.map((t) => t.time));
    expect(sunk.every((s) => s.secrets.length === 1 && s.secrets[0] === 's3cret')).toBe(true);
    expect(sunk.filter((s) => s.record.direction === 'sent' && s.record.text.startsWith('REGISTER ')).length).toBe(2);
  });

  it('a proxy challenge is a 407 outcome', async () => {
    const r = await registrar([{ kind: 'proxy', realm: DOMAIN, offers: [{ algorithm: 'MD5' }], methods: ['REGISTER'] }]);
    const { engine, observations } = observedEngine();
    engine.addLine(line(r.port));
    await waitForLine(engine, 'h', registeredOn(0), 5_000, 'registered');
    expect(observations.map((o) => o.outcome)).toEqual([407, 200]);
  });

  it('a silent server is a timeout without a round trip; a refused TCP connection a transport error', async () => {
    const silent = await registrar([], () => 'drop');
    const { engine, observations } = observedEngine();
    // Not the last server: its silence budget is (2^(0+1) - 1) × T1 = 500 ms, not Timer F.
    engine.addLine(line(silent.port, { signalRetryCount: 0, servers: [{ host: '127.0.0.1', port: silent.port, transport: 'udp' }, { host: '127.0.0.1', port: silent.port, transport: 'udp' }] }));
    await eventually(() => observations.length > 0, 15_000, 'an outcome from the silent server');
    expect(observations[0]).toEqual({ line: 'h', server: 0, method: 'REGISTER', outcome: 'timeout', rttMs: null });

    const closed = await freePort();
    const other = observedEngine();
    other.engine.addLine(lineConfig({ id: 't', username: 'alice', password: 's3cret', domain: DOMAIN, servers: [{ host: '127.0.0.1', port: closed, transport: 'tcp' }], liveness: { interval: 0 } }));
    await eventually(() => other.observations.length > 0, 15_000, 'an outcome from the closed port');
    expect(other.observations[0]).toEqual({ line: 't', server: 0, method: 'REGISTER', outcome: 'transport-error', rttMs: null });
  });
});
