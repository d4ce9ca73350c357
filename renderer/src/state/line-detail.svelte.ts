/**
 * The detail of one line: its event history (live) and its SIP trace (fetched on open and again
 * whenever the line changes, since new messages come with every change).
 */
import type { LineHistoryEntry, TraceEntry } from '../../../common/line-status';
import type { TrunklineApi } from '../../../preload/contract';
import { historyText, traceText } from '../model/trace-text';

export type DetailTab = 'history' | 'trace';

const HISTORY_KEPT = 500;

export class LineDetail {
  lineId = $state<string | null>(null);
  tab = $state<DetailTab>('history');
  history = $state.raw<LineHistoryEntry[]>([]);
  trace = $state.raw<TraceEntry[]>([]);
  /** Index in `trace` of the message shown in full; -1 = the latest. */
  traceIndex = $state(-1);
  readonly #api: TrunklineApi;
  readonly #report: (message: string) => void;
  /** Answers for a line that is no longer open are dropped. */
  #request = 0;

  constructor(api: TrunklineApi, report: (message: string) => void) {
    this.#api = api;
    this.#report = report;
  }

  async open(id: string): Promise<void> {
    if (this.lineId !== id) {
      this.history = [];
      this.trace = [];
      this.traceIndex = -1;
    }
    this.lineId = id;
    await Promise.all([this.#loadHistory(), this.refreshTrace()]);
  }

  showTab(tab: DetailTab): void {
    this.tab = tab;
    if (tab === 'trace') void this.refreshTrace();
  }

  showMessage(index: number): void {
    this.traceIndex = index;
  }

  close(): void {
    this.lineId = null;
    this.#request++;
  }

  historyEntry(entry: LineHistoryEntry): void {
    if (entry.line !== this.lineId) return;
    this.history = [...this.history.slice(-(HISTORY_KEPT - 1)), entry];
  }

  linesChanged(ids: ReadonlySet<string>): void {
    if (this.lineId !== null && ids.has(this.lineId) && this.tab === 'trace') void this.refreshTrace();
  }

  async refreshTrace(): Promise<void> {
    const id = this.lineId;
    if (id === null) return;
    const request = ++this.#request;
    const result = await this.#api.lineTrace(id);
    if (request !== this.#request || this.lineId !== id) return;
    if (result.ok) this.trace = result.value;
    else this.#report(`Could not read the SIP trace of ${id}: ${result.error.message}`);
  }

  /** The open tab as text, for the clipboard or a file. */
  text(): string {
    return this.tab === 'history' ? historyText(this.history) : traceText(this.trace);
  }

  fileName(): string {
    return `trunkline-${this.lineId ?? 'line'}-${this.tab === 'history' ? 'history' : 'sip-trace'}.txt`;
  }

  async #loadHistory(): Promise<void> {
    const id = this.lineId;
    if (id === null) return;
    const result = await this.#api.lineHistory(id);
    if (this.lineId !== id) return;
    if (result.ok) this.history = result.value.slice(-HISTORY_KEPT);
    else this.#report(`Could not read the history of ${id}: ${result.error.message}`);
  }
}
