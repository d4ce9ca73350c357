/**
 * Thousands of plausible lines for the renderer benchmark and for development: most register on
 * their primary, some sit on a backup probing for failback, some wait to retry, some fail
 * authentication, some are disabled — the mix a support desk watches.
 */
import type { LineConfig } from '../../common/line-config';
import { parseLineConfig } from '../../common/line-config';
import { SipEngine } from '../sip/engine';
import type { SyntheticBehaviour } from './synthetic-channel';
import { SyntheticChannel } from './synthetic-channel';

const KINDS = ['Carrier', 'Branch', 'PBX', 'Gateway', 'Trunk', 'Office'] as const;

/** What happens to line `i` (out of every 100): 84 ok, 8 on backup, 3 retry-wait, 2 auth-failed, 3 disabled. */
function plan(i: number): { primary: SyntheticBehaviour; backup: SyntheticBehaviour; enabled: boolean } {
  const k = i % 100;
  if (k >= 97) return { primary: 'ok', backup: 'ok', enabled: false };
  if (k >= 95) return { primary: 'auth-failed', backup: 'ok', enabled: true };
  if (k >= 92) return { primary: 'unavailable', backup: 'unavailable', enabled: true };
  if (k >= 84) return { primary: 'unavailable', backup: 'ok', enabled: true };
  return { primary: 'ok', backup: 'ok', enabled: true };
}

export function syntheticLines(count: number): LineConfig[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    const parsed = parseLineConfig({
      id: `line-${n}`,
      name: `${KINDS[i % KINDS.length]} ${n}`,
      username: `${10000 + i}`,
      password: `synthetic-${i}`,
      domain: `sip${i % 20}.example.net`,
      servers: [
        { host: `10.${i % 250}.0.1`, transport: i % 7 === 0 ? 'tcp' : 'udp', expires: [300, 600, 1800, 3600][i % 4] },
        { host: `10.${i % 250}.1.1`, port: 5080, transport: 'udp', expires: 600 },
      ],
      failback: { enabled: true, interval: [60, 300, 1800][i % 3] },
      // 30–119 s, spread so that checks (and the changes they push) arrive evenly, not in bursts.
      liveness: { interval: 30 + ((i * 37) % 90) },
      enabled: plan(i).enabled,
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return parsed.value;
  });
}

/** An engine whose servers are SyntheticChannels behaving as `plan` says for each line. */
export function syntheticEngine(): SipEngine {
  return new SipEngine({
    userAgent: 'Trunkline-synthetic',
    // Thousands of lines for hours: keep each trace short.
    traceCapacity: 40,
    createChannel: (line, serverIndex, onTrace) => {
      const index = Number(line.id.replace(/\D/g, '')) - 1;
      const behaviour = serverIndex === 0 ? plan(index).primary : plan(index).backup;
      return new SyntheticChannel(line, serverIndex, behaviour, onTrace);
    },
  });
}
