/**
 * The one place events from main enter the renderer: each `onX` of the bridge is subscribed once
 * and routed to a sink; `destroy()` unsubscribes them all.
 */
import type { AppNotice, AppSettings, LineView, TrunklineApi } from '../../preload/contract';
import type { LineHistoryEntry, LineSnapshot } from '../../common/line-status';

export interface BridgeSinks {
  lineChanged(snapshot: LineSnapshot): void;
  lineAdded(view: LineView): void;
  lineRemoved(id: string): void;
  lineHistory(entry: LineHistoryEntry): void;
  settingsChanged(settings: AppSettings): void;
  notice(notice: AppNotice): void;
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
  ];
  return {
    destroy() {
      for (const off of offs.splice(0)) off();
    },
  };
}
