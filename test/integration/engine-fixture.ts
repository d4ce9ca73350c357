/**
 * Shared setup for engine scenarios: a primary and a backup Kamailio on loopback, an engine on
 * the real clock, and bounded waits on what the engine shows.
 */
import type { LineConfig, TransportKind } from '../../common/line-config';
import { parseLineConfig } from '../../common/line-config';
import type { LineSnapshot } from '../../common/line-status';
import { SipEngine } from '../../main/sip/engine';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';

/** Test accounts 1001…1099, each with its own password. */
export const USERS: Record<string, string> = Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`${1001 + i}`, `secret-${1001 + i}`]));

/** A line for `user` with its right password. */
export function account(user: string): { username: string; password: string } {
  return { username: user, password: USERS[user]! };
}
export const DOMAIN = 'trunkline.test';

export async function startPair(name: string): Promise<{ primary: KamailioInstance; backup: KamailioInstance }> {
  const [primary, backup] = await Promise.all([
    startKamailio({ name: `${name}-primary`, users: USERS, domain: DOMAIN }),
    startKamailio({ name: `${name}-backup`, users: USERS, domain: DOMAIN }),
  ]);
  return { primary, backup };
}

export function serverOf(k: KamailioInstance, transport: TransportKind = 'udp', extra: Record<string, unknown> = {}) {
  const port = k.ports[transport];
  const tls = transport === 'tls' || transport === 'wss' ? { tls: { ca: k.caCertPem } } : {};
  return { host: k.ip, port, transport, ...tls, ...extra };
}

export function lineConfig(fields: Record<string, unknown>): LineConfig {
  const parsed = parseLineConfig({ domain: DOMAIN, ...fields });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

/** Resolves with the first snapshot of line `id` that satisfies `pred` (the current one included). */
export function waitForLine(engine: SipEngine, id: string, pred: (s: LineSnapshot) => boolean, timeoutMs: number, what = 'condition'): Promise<LineSnapshot> {
  return new Promise((resolve, reject) => {
    const check = (s: LineSnapshot): boolean => {
      if (s.id !== id || !pred(s)) return false;
      clearTimeout(timer);
      off();
      resolve(s);
      return true;
    };
    const timer = setTimeout(() => {
      off();
      const now = engine.snapshot(id);
      reject(new Error(`line ${id}: ${what} not reached within ${timeoutMs} ms; now ${JSON.stringify(now)}\nhistory: ${engine.history(id).map((h) => `${h.from}→${h.to} ${h.reason}`).join('\n')}`));
    }, timeoutMs);
    const off = engine.onLine((s) => void check(s));
    check(engine.snapshot(id));
  });
}

export function registeredOn(server: number) {
  return (s: LineSnapshot) => s.state === 'registered' && s.server === server;
}

export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`${what} not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function newEngine(): SipEngine {
  return new SipEngine({ userAgent: 'Trunkline-test' });
}
