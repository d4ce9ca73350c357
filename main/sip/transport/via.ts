import { isResponse, requestMethod } from './message-head';

/** `SIP/2.0/UDP host[:port]` followed by whatever parameters the entry carries. */
const SENT_BY = /^(SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z0-9.!%*_+`'~-]+)\s+(\[[0-9A-Fa-f:.]+\]|[^\s;:,]+)(?:\s*:\s*\d+)?/;

/**
 * Rewrites the top Via of an outgoing request to carry the port we actually send from and an
 * empty `rport` parameter.
 *
 * JsSIP writes `Via: SIP/2.0/UDP <contact host>;branch=…` with neither. Without the port a server
 * answers to 5060 (RFC 3261 §18.2.2); with `rport` it answers to the source address and port it
 * saw instead (RFC 3581 §4), which is what crosses NAT and ephemeral ports alike. JsSIP's host is
 * the Contact host as configured before any socket existed, so when `localHost` is given it
 * replaces it with the address we really send from (RFC 3261 §18.1.1); otherwise it is kept (for
 * ws/wss that may be a `.invalid` name, which RFC 7118 §5 allows).
 * Responses are never touched: their Vias belong to whoever sent the request (RFC 3261 §8.2.6.2).
 */
export function rewriteTopVia(message: string, localPort: number, localHost?: string): string {
  if (isResponse(message) || requestMethod(message) === null) return message;
  const headersEnd = message.indexOf('\r\n\r\n');
  const head = headersEnd === -1 ? message : message.slice(0, headersEnd);
  const lines = head.split('\r\n');
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index] as string;
    const header = /^(via|v)([ \t]*:[ \t]*)/i.exec(line);
    if (!header) continue;
    const prefix = header[0];
    const rewritten = rewriteViaEntry(line.slice(prefix.length), localPort, localHost);
    if (rewritten === null) return message;
    lines[index] = prefix + rewritten;
    return lines.join('\r\n') + (headersEnd === -1 ? '' : message.slice(headersEnd));
  }
  return message;
}

/** Rewrites the first entry of a Via value; null when it is not a Via we understand. */
function rewriteViaEntry(value: string, localPort: number, localHost: string | undefined): string | null {
  const match = SENT_BY.exec(value);
  if (!match) return null;
  const [sentBy, protocol, jssipHost] = match as unknown as [string, string, string];
  const host = localHost === undefined ? jssipHost : localHost.includes(':') && !localHost.startsWith('[') ? `[${localHost}]` : localHost;
  const rest = value.slice(sentBy.length);
  const firstEntryEnd = rest.indexOf(',');
  const params = firstEntryEnd === -1 ? rest : rest.slice(0, firstEntryEnd);
  // RFC 3581 §3: the client adds `rport` with no value; keep one already there.
  const rport = /;\s*rport\b/i.test(params) ? '' : ';rport';
  return `${protocol} ${host}:${localPort}${rport}${rest}`;
}
