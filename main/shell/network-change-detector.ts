/**
 * Notices network changes that break registrations. Electron's main process has no network-change
 * event, so this polls the machine's addresses (cheap: one `os.networkInterfaces()` call) and
 * reports when an address our sockets may be using disappears, or when the machine comes back
 * online (from no routable address to some). A merely added address (a second interface, a new
 * IPv6 privacy address) breaks nothing and is ignored, so thousands of lines do not re-register
 * every few hours for no reason.
 */
import type { Clock, TimerHandle } from '../sip/clock';

export interface NetworkChange {
  removed: string[];
  added: string[];
}

export interface NetworkChangeDetectorOptions {
  clock: Clock;
  /** The machine's routable addresses now (loopback and link-local already left out). */
  readAddresses(): string[];
  onChange(change: NetworkChange): void;
  intervalMs?: number;
}

/** Shapes `os.networkInterfaces()` into the addresses that matter for SIP sockets. */
export function routableAddresses(interfaces: Record<string, { address: string; internal: boolean; family: string | number }[] | undefined>): string[] {
  const out: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const entry of list ?? []) {
      if (entry.internal) continue;
      if (/^fe80:/i.test(entry.address) || entry.address.startsWith('169.254.')) continue;
      out.push(entry.address);
    }
  }
  return [...new Set(out)].sort();
}

/** Describes a change for the line history. */
export function describeNetworkChange(change: NetworkChange): string {
  if (change.removed.length === 0) return `network came back (${change.added.join(', ')})`;
  return `network address gone (${change.removed.join(', ')})`;
}

export class NetworkChangeDetector {
  private timer: TimerHandle | null = null;
  private known: Set<string> | null = null;
  private readonly intervalMs: number;

  constructor(private readonly options: NetworkChangeDetectorOptions) {
    this.intervalMs = options.intervalMs ?? 5_000;
  }

  start(): void {
    this.stop();
    this.known = new Set(this.read());
    this.schedule();
  }

  stop(): void {
    this.options.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private read(): string[] {
    try {
      return this.options.readAddresses();
    } catch {
      return [...(this.known ?? [])];
    }
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimer(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    const now = new Set(this.read());
    const before = this.known ?? new Set<string>();
    const removed = [...before].filter((a) => !now.has(a));
    const added = [...now].filter((a) => !before.has(a));
    this.known = now;
    this.schedule();
    const cameOnline = before.size === 0 && now.size > 0;
    if (removed.length > 0 || cameOnline) this.options.onChange({ removed, added });
  }
}
