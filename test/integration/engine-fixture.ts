/**
 * Shared setup for engine scenarios: a primary and a backup Kamailio on loopback, an engine on
 * the real clock, and bounded waits on what the engine shows.
 */
import type { LineConfig, TransportKind } from '../../common/line-config';
import { parseLineConfig } from '../../common/line-config';
import type { LineSnapshot } from '../../common/line-status';
import { SipEngine } from '../../main/sip/engine';
import type { KamailioInstance } from '../harness/kamailio';
import { pickLoopbackIp, startKamailio } from '../harness/kamailio';

/** Test accounts 1001…1099, each with its own password. */
export const USERS: Record<string, string> = Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`${1001 + i}`, `secret-${1001 + i}`]));

/** A line for `user` with its right password. */
export function account(user: string): { username: string; password: string } {
  return { username: user, password: USERS[user]! };
}
export const DOMAIN = 'trunkline.test';

/**
 * A primary and a backup Kamailio with the same users. Both addresses are picked first so each
 * instance lists the other's record-route addresses as its own (`peerIp`): a BYE whose Route names
 * the frozen primary is relayed by the backup (BYE failover).
 */
export async function startPair(name: string): Promise<{ primary: KamailioInstance; backup: KamailioInstance }> {
  const primaryIp = await pickLoopbackIp();
  const backupIp = await pickLoopbackIp();
  const [primary, backup] = await Promise.all([
    startKamailio({ name: `${name}-primary`, users: USERS, domain: DOMAIN, ip: primaryIp, peerIp: backupIp }),
    startKamailio({ name: `${name}-backup`, users: USERS, domain: DOMAIN, ip: backupIp, peerIp: primaryIp }),
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

/** One REGISTER request we sent or a final response we received, from the engine's SIP trace. */
export interface RegisterExchange {
  time: number;
  direction: 'sent' | 'received';
  cseq: number;
  /** Status code of a response; null for a request. */
  code: number | null;
  /** Expires header of a request; null when absent. */
  expires: string | null;
}

/**
 * The REGISTER traffic of one line per Call-ID, in trace order: requests we sent (retransmissions
 * left out) and the final responses we received. Provisional responses are left out too.
 */
export function registerDialogs(engine: SipEngine, id: string): Map<string, RegisterExchange[]> {
  const dialogs = new Map<string, RegisterExchange[]>();
  for (const entry of engine.trace(id)) {
    if (entry.retransmission) continue;
    const [start = '', ...lines] = entry.text.split('\r\n\r\n')[0]!.split('\r\n');
    const header = (name: string): string | null => {
      const line = lines.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      return line ? line.slice(line.indexOf(':') + 1).trim() : null;
    };
    const cseq = header('CSeq') ?? '';
    if (!cseq.endsWith('REGISTER')) continue;
    const code = start.startsWith('SIP/2.0 ') ? Number(start.split(' ')[1]) : null;
    if (code !== null && code < 200) continue;
    const callId = header('Call-ID') ?? '';
    const list = dialogs.get(callId) ?? [];
    list.push({ time: entry.time, direction: entry.direction, cseq: Number.parseInt(cseq, 10), code, expires: header('Expires') });
    dialogs.set(callId, list);
  }
  return dialogs;
}

/**
 * RFC 3261 §10.2 violations in one dialog: a request sent while an earlier one had no final
 * response yet (`overlap`), or a CSeq not above every earlier one (`cseq`). `abandoned` lists the
 * CSeqs a test knows were given up on (their late answers may still arrive).
 */
export function dialogViolations(exchanges: RegisterExchange[], abandoned: number[] = []): string[] {
  const violations: string[] = [];
  let highest = 0;
  let open: number | null = null;
  for (const x of exchanges) {
    if (x.direction === 'sent') {
      if (x.cseq <= highest) violations.push(`cseq ${x.cseq} after ${highest}`);
      if (open !== null && !abandoned.includes(open)) violations.push(`overlap: ${x.cseq} sent while ${open} open`);
      highest = Math.max(highest, x.cseq);
      open = x.cseq;
    } else if (x.cseq === open) {
      open = null;
    }
  }
  return violations;
}
