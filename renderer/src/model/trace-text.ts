/** History and SIP trace as plain text, for the clipboard and for export files. */
import type { LineHistoryEntry, TraceEntry } from '../../../common/line-status';
import { serverRole } from './server-role';
import { dateTime } from './time-text';

/** The first line of a SIP message: "REGISTER sip:… SIP/2.0" or "SIP/2.0 200 OK". */
export function startLine(text: string): string {
  const end = text.indexOf('\r\n');
  return (end < 0 ? text : text.slice(0, end)).trim();
}

/** What the message is about, for a compact list: "REGISTER", "200 OK (REGISTER)". */
export function summary(text: string): string {
  const first = startLine(text);
  const cseq = /^CSeq:\s*\d+\s+(\S+)/im.exec(text)?.[1];
  if (first.startsWith('SIP/2.0 ')) return `${first.slice(8)}${cseq ? ` (${cseq})` : ''}`;
  return first.split(' ')[0] ?? first;
}

export function historyText(entries: readonly LineHistoryEntry[]): string {
  return entries
    .map((e) => [dateTime(e.time), `${e.from} → ${e.to}`, e.server === null ? '-' : serverRole(e.server), e.reason].join('\t'))
    .join('\n');
}

/** Every message in order, each under a header line saying when, which way and which server. */
export function traceText(entries: readonly TraceEntry[]): string {
  return entries
    .map((e) => {
      const arrow = e.direction === 'sent' ? `sent to ${serverRole(e.server)}` : `received from ${serverRole(e.server)}`;
      const again = e.retransmission ? ' (retransmission)' : '';
      return `=== ${dateTime(e.time)} ${arrow}${again}\n${e.text.replace(/\r\n/g, '\n').trimEnd()}\n`;
    })
    .join('\n');
}
