/**
 * NAT (issue 9, kind 7; RFC 3581, RFC 5626 §4.4) against a real Kamailio behind a loopback NAT
 * (test/harness/nat-relay.ts): the registrar sees the relay's outward address, its Via
 * `received`/`rport` differ from our Contact, and the line re-registers with the public address,
 * removing the private Contact in the same REGISTER. Keepalives hold the NAT mapping open, so a
 * request Kamailio sends to the binding still reaches the line; without them it is lost.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipEngine } from '../../main/sip/engine';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import type { NatRelay } from '../harness/nat-relay';
import { startNatRelay } from '../harness/nat-relay';
import { account, dialogViolations, DOMAIN, eventually, lineConfig, newEngine, registerDialogs, registeredOn, USERS, waitForLine } from './engine-fixture';

const run = promisify(execFile);
/** The NAT's public side: a loopback address other than the client's 127.0.0.1. */
const PUBLIC_ADDRESS = '127.0.0.2';

let kamailio: KamailioInstance;
beforeAll(async () => {
  kamailio = await startKamailio({ name: 'nat', users: USERS, domain: DOMAIN });
}, 30_000);
afterAll(async () => {
  await kamailio?.stop();
});

async function behindNat(mappingTimeoutMs: number): Promise<NatRelay> {
  return startNatRelay({ outsideAddress: PUBLIC_ADDRESS, upstream: { address: kamailio.ip, port: kamailio.ports.udp }, mappingTimeoutMs });
}

/** Kamailio itself sends an OPTIONS to `uri` (tm's t_uac_start over its ctl socket). */
async function kamailioSendsOptions(uri: string, user: string): Promise<void> {
  const headers = `From: <sip:probe@${DOMAIN}>;tag=natprobe${Date.now()}\r\nTo: <sip:${user}@${DOMAIN}>\r\nContent-Type: text/plain\r\n`;
  const { stdout } = await run('kamcmd', ['-s', `unix:${join(kamailio.runtimeDir, 'ctl.sock')}`, 'tm.t_uac_start', 'OPTIONS', uri, '.', '.', headers], { timeout: 5_000 });
  // kamcmd exits 0 when the RPC itself fails and prints `error: <code> - <reason>`.
  if (stdout.startsWith('error:')) throw new Error(`tm.t_uac_start OPTIONS ${uri}: ${stdout.trim()}`);
}

function receivedOptions(engine: SipEngine, id: string): number {
  return engine.trace(id).filter((t) => t.direction === 'received' && t.text.startsWith('OPTIONS ')).length;
}

describe('NAT: Contact rewrite and keepalives (RFC 3581, RFC 5626 §4.4)', () => {
  it('re-registers with the public address, removes the private Contact in the same REGISTER, and leaves nothing after quit', async () => {
    const relay = await behindNat(60_000);
    const engine = newEngine();
    const user = '1041';
    try {
      engine.addLine(lineConfig({ id: 'nat', ...account(user), servers: [{ host: relay.inside.address, port: relay.inside.port, expires: 60 }], liveness: { interval: 0 } }));
      await waitForLine(engine, 'nat', registeredOn(0), 10_000, 'registered');
      const [port] = relay.livePorts();
      const binding = await eventually(async () => {
        const all = await kamailio.bindings(user);
        return all.length === 1 && all[0]!.contact.includes(`@${PUBLIC_ADDRESS}:${port}`) ? all : undefined;
      }, 10_000, 'one binding on the public address');
      expect(binding[0]!.contact).toContain(`@${PUBLIC_ADDRESS}:${port}`);
      // The REGISTER that bound the public Contact removed the private one in the same request.
      const registers = engine.trace('nat').filter((t) => t.direction === 'sent' && t.text.startsWith('REGISTER ') && !t.retransmission);
      const rewrite = registers.find((r) => r.text.includes(`@${PUBLIC_ADDRESS}:${port}`))!;
      expect(rewrite.text).toMatch(/^Contact: <sip:[^>]+@127\.0\.0\.2:\d+;transport=udp>;expires=60;[^,]*, <sip:[^>]+@127\.0\.0\.1:\d+;transport=udp>;expires=0\r?$/m);
      expect(engine.snapshot('nat').state).toBe('registered');
    } finally {
      await engine.shutdown(2_000);
      relay.close();
    }
    expect(await kamailio.bindings(user)).toHaveLength(0);
    for (const dialog of registerDialogs(engine, 'nat').values()) expect(dialogViolations(dialog)).toEqual([]);
  }, 40_000);

  it('with keepalives the mapping stays open and an OPTIONS from Kamailio reaches the line; without, it is lost', async () => {
    const results: Record<string, { received: number; dropped: number; keepalives: number }> = {};
    for (const keepaliveInterval of [5, 0]) {
      const relay = await behindNat(7_000);
      const engine = newEngine();
      const user = keepaliveInterval ? '1042' : '1043';
      try {
        engine.addLine(lineConfig({ id: 'ka', ...account(user), servers: [{ host: relay.inside.address, port: relay.inside.port, expires: 120 }], liveness: { interval: 0 }, nat: { keepaliveInterval } }));
        await waitForLine(engine, 'ka', registeredOn(0), 10_000, 'registered');
        const [binding] = await eventually(async () => {
          const all = await kamailio.bindings(user);
          return all.length === 1 && all[0]!.contact.includes(`@${PUBLIC_ADDRESS}:`) ? all : undefined;
        }, 10_000, 'binding on the public address');
        // Quiet for longer than the NAT's mapping timeout (the refresh is 60 s away).
        await new Promise((r) => setTimeout(r, 11_000));
        const before = receivedOptions(engine, 'ka');
        await kamailioSendsOptions(binding!.contact.replace(/^<|>$/g, ''), user);
        await new Promise((r) => setTimeout(r, 2_000));
        results[keepaliveInterval ? 'keepalive' : 'none'] = { received: receivedOptions(engine, 'ka') - before, dropped: relay.droppedInbound, keepalives: relay.keepalivesSeen };
      } finally {
        await engine.shutdown(2_000);
        relay.close();
      }
    }
    expect(results.keepalive!.keepalives).toBeGreaterThanOrEqual(2);
    expect(results.keepalive!.received).toBe(1);
    expect(results.keepalive!.dropped).toBe(0);
    expect(results.none!.keepalives).toBe(0);
    expect(results.none!.received).toBe(0);
    expect(results.none!.dropped).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('rewriteContact "off" keeps the private Contact (the registrar stores the source as received), keepalives still run by default', async () => {
    const relay = await behindNat(60_000);
    const engine = newEngine();
    const user = '1044';
    try {
      engine.addLine(lineConfig({ id: 'off', ...account(user), servers: [{ host: relay.inside.address, port: relay.inside.port, expires: 60 }], liveness: { interval: 0 }, nat: { rewriteContact: 'off' } }));
      await waitForLine(engine, 'off', registeredOn(0), 10_000, 'registered');
      const bindings = await kamailio.bindings(user);
      expect(bindings).toHaveLength(1);
      expect(bindings[0]!.contact).toContain('@127.0.0.1:');
      expect(bindings[0]!.received).toContain(PUBLIC_ADDRESS);
    } finally {
      await engine.shutdown(2_000);
      relay.close();
    }
    expect(await kamailio.bindings(user)).toHaveLength(0);
  }, 30_000);
});
