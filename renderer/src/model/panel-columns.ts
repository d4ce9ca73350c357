import type { SortKey } from './panel-rows';

export interface PanelColumn {
  key: SortKey;
  label: string;
  /** Tooltip: what the column means. */
  title: string;
  numeric: boolean;
}

/** The trunk panel's columns, in order (SPEC "The trunk panel"). Widths live in TrunkGrid's CSS. */
export const PANEL_COLUMNS: readonly PanelColumn[] = [
  { key: 'name', label: 'Line', title: 'Line name and id', numeric: false },
  { key: 'state', label: 'State', title: 'Registration state', numeric: false },
  { key: 'server', label: 'Server', title: 'Active server: primary or backup N, host:port/transport', numeric: false },
  { key: 'response', label: 'Last response', title: 'Last final response on the registration path (no code: timeout or transport error)', numeric: false },
  { key: 'expires', label: 'Expires', title: 'Registration lifetime granted by the server', numeric: true },
  { key: 'refresh', label: 'Refresh', title: 'Time to the next re-REGISTER', numeric: true },
  { key: 'retry', label: 'Retry', title: 'Time to the next registration attempt after a failure', numeric: true },
  { key: 'failback', label: 'Failback', title: 'Time to the next probe of the primary while on a backup', numeric: true },
  { key: 'liveness', label: 'Liveness', title: 'Time to the next OPTIONS check of the active server', numeric: true },
  { key: 'rtt', label: 'RTT', title: 'Round-trip time of the last answered OPTIONS', numeric: true },
  { key: 'failures', label: 'Fails', title: 'Consecutive failures', numeric: true },
  { key: 'since', label: 'Changed', title: 'Time since the state last changed', numeric: true },
];
