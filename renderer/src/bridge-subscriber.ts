/**
 * The one place events from main enter the renderer: each `onX` of the bridge is subscribed once
 * and routed to a sink; `destroy()` unsubscribes them all.
 */
import type { CallEvent, CallSnapshot } from '../../common/call-status';
import type { AppNotice, AppSettings, CallHistoryChange, DialLink, LineView, PhoneSettings, TrunklineApi } from '../../preload/contract';
import type { LineHistoryEntry, LineSnapshot } from '../../common/line-status';

export interface BridgeSinks {
  lineChanged(snapshot: LineSnapshot): void;
  lineAdded(view: LineView): void;
  lineRemoved(id: string): void;
  lineHistory(entry: LineHistoryEntry): void;
  settingsChanged(settings: AppSettings): void;
  notice(notice: AppNotice): void;
  callChanged(call: CallSnapshot): void;
  callEvent(event: CallEvent): void;
  incomingCall(call: CallSnapshot): void;
  callHistoryChanged(change: CallHistoryChange): void;
  phoneSettingsChanged(settings: PhoneSettings): void;
  dialLink(link: DialLink): void;
}

export interface Subscription {
  destroy(): void;
}

export function subscribeBridge(api: TrunklineApi, sinks: BridgeSinks): Subscription {
  const offs = [
    api.onLineChanged((s) => sinks.lineChanged(s)),
    api.onLineAdded((v) => sinks.lineAdded(v)),
    api.onLineRemoved(({ id }) => sinks.lineRemoved(id)),
    api.onLineHistory((e) => sinks.lineHistory(e)),
    api.onSettingsChanged((s) => sinks.settingsChanged(s)),
    api.onNotice((n) => sinks.notice(n)),
    api.onCallChanged((c) => sinks.callChanged(c)),
    api.onCallEvent((e) => sinks.callEvent(e)),
    api.onIncomingCall((c) => sinks.incomingCall(c)),
    api.onCallHistoryChanged((h) => sinks.callHistoryChanged(h)),
    api.onPhoneSettingsChanged((s) => sinks.phoneSettingsChanged(s)),
    api.onDialLink((l) => sinks.dialLink(l)),
  ];
  return {
    destroy() {
      for (const off of offs.splice(0)) off();
    },
  };
}
