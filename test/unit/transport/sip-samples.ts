/** Hand-built SIP messages for transport tests: only what framing and transactions look at. */

export interface RequestSample {
  branch?: string;
  host?: string;
  body?: string;
  callId?: string;
  cseq?: number;
}

export function sipRequest(method: string, sample: RequestSample = {}): string {
  const { branch = 'z9hG4bK1', host = 'alice.invalid', body = '', callId = 'call-1', cseq = 1 } = sample;
  return [
    `${method} sip:bob@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP ${host};branch=${branch}`,
    'Max-Forwards: 70',
    'To: <sip:bob@127.0.0.1>',
    'From: <sip:alice@127.0.0.1>;tag=a1',
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A response echoing `request`'s Via, Call-ID and CSeq, as a server would build it. */
export function sipResponse(request: string, status: number, reason = 'OK', body = ''): string {
  const header = (name: string): string => {
    const line = request.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    if (!line) throw new Error(`request has no ${name}`);
    return line;
  };
  return [
    `SIP/2.0 ${status} ${reason}`,
    header('Via'),
    `${header('To')};tag=b1`,
    header('From'),
    header('Call-ID'),
    header('CSeq'),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}
