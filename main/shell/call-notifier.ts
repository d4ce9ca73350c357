/**
 * The desktop notification of an incoming call (SPEC "Incoming"): the caller's name and number,
 * with Answer and Decline buttons where the platform shows notification actions (macOS; Windows
 * toasts), else a click brings the window up with the ringing bar. The notification goes away as
 * soon as the call stops ringing (answered anywhere, declined, cancelled by the caller).
 */
import type { CallSnapshot } from '../../common/call-status';

/** What the notification says and offers. */
export interface IncomingNotice {
  title: string;
  body: string;
  /** Button labels in order; empty where the platform has no actions. */
  actions: string[];
}

/** Platforms whose notifications carry buttons. */
export function hasNotificationActions(platform: NodeJS.Platform): boolean {
  return platform === 'darwin' || platform === 'win32';
}

export function incomingNotice(call: Pick<CallSnapshot, 'remote' | 'line'>, lineName: string, platform: NodeJS.Platform): IncomingNotice {
  const name = call.remote.displayName?.trim();
  const number = call.remote.user || call.remote.uri;
  return {
    title: `Incoming call: ${name || number}`,
    body: `${name ? `${number} · ` : ''}on ${lineName}`,
    actions: hasNotificationActions(platform) ? ['Answer', 'Decline'] : [],
  };
}

/** The part of Electron's Notification used here (a fake in tests). */
export interface NotificationPort {
  on(event: 'click' | 'close', listener: () => void): void;
  on(event: 'action', listener: (event: unknown, index: number) => void): void;
  show(): void;
  close(): void;
}

export interface CallNotifierOptions {
  platform: NodeJS.Platform;
  create(notice: IncomingNotice): NotificationPort | null;
  lineName(id: string): string;
  answer(callId: string): void;
  decline(callId: string): void;
  /** Brings the window forward (a click, or Answer: the call is then on screen). */
  showWindow(): void;
}

export class CallNotifier {
  private readonly live = new Map<string, NotificationPort>();

  constructor(private readonly options: CallNotifierOptions) {}

  /** A call started ringing here. */
  ringing(call: CallSnapshot): void {
    if (this.live.has(call.id)) return;
    const notification = this.options.create(incomingNotice(call, this.options.lineName(call.line), this.options.platform));
    if (!notification) return;
    this.live.set(call.id, notification);
    notification.on('click', () => this.options.showWindow());
    notification.on('action', (_event, index) => {
      if (index === 0) {
        this.options.showWindow();
        this.options.answer(call.id);
      } else if (index === 1) this.options.decline(call.id);
    });
    notification.on('close', () => this.live.delete(call.id));
    notification.show();
  }

  /** Any snapshot: a call that no longer rings loses its notification. */
  changed(call: CallSnapshot): void {
    if (call.direction === 'incoming' && call.state === 'ringing') return;
    const notification = this.live.get(call.id);
    if (!notification) return;
    this.live.delete(call.id);
    notification.close();
  }

  dispose(): void {
    for (const notification of this.live.values()) notification.close();
    this.live.clear();
  }
}
