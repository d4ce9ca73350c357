import { UA, URI } from 'jssip';
import type { Socket } from 'jssip';
import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingResponse } from '../../../main/sip/jssip-internals';
import { buildRequest, internalsOf, sendRequest } from '../../../main/sip/jssip-internals';

/** A JsSIP socket that records what JsSIP sends and lets the test answer. */
class RecordingSocket {
  readonly via_transport = 'UDP';
  readonly url = 'udp:127.0.0.1:5060';
  readonly sip_uri = 'sip:127.0.0.1:5060;transport=udp';
  readonly sent: string[] = [];
  onconnect: () => void = () => undefined;
  ondisconnect: () => void = () => undefined;
  ondata: (message: string) => void = () => undefined;
  private connected = false;
  connect(): void {
    this.connected = true;
    this.onconnect();
  }
  disconnect(): void {
    this.connected = false;
  }
  send(message: string): boolean {
    this.sent.push(message);
    return true;
  }
  isConnected(): boolean {
    return this.connected;
  }
  isConnecting(): boolean {
    return false;
  }
}

const uas: UA[] = [];
afterEach(() => uas.splice(0).forEach((ua) => ua.stop()));

function header(message: string, name: string): string {
  const line = message.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  if (!line) throw new Error(`no ${name} in ${message}`);
  return line.slice(line.indexOf(':') + 1).trim();
}

/** A 401 for `request` as a registrar would send it. */
function challenge(request: string): string {
  return [
    'SIP/2.0 401 Unauthorized',
    `Via: ${header(request, 'Via')}`,
    `From: ${header(request, 'From')}`,
    `To: ${header(request, 'To')};tag=registrar`,
    `Call-ID: ${header(request, 'Call-ID')}`,
    `CSeq: ${header(request, 'CSeq')}`,
    'WWW-Authenticate: Digest realm="example.org", nonce="abc123", qop="auth", algorithm=MD5',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function start(): Promise<{ ua: UA; socket: RecordingSocket }> {
  const socket = new RecordingSocket();
  const ua = new UA({ uri: 'sip:1001@example.org', password: 'secret', sockets: [socket as unknown as Socket], register: false, contact_uri: 'sip:c1@127.0.0.1:40000;transport=udp' });
  uas.push(ua);
  const connected = new Promise<void>((resolve) => ua.once('connected', () => resolve()));
  ua.start();
  await connected;
  return { ua, socket };
}

function register(ua: UA, received: IncomingResponse[], authenticated: number[]) {
  const request = buildRequest('REGISTER', new URI('sip', undefined as unknown as string, 'example.org'), ua, { to_uri: internalsOf(ua).configuration.uri, call_id: 'dialog-1', cseq: 7 }, ['Contact: <sip:c1@127.0.0.1:40000>', 'Expires: 60']);
  return sendRequest(ua, request, {
    onRequestTimeout: () => undefined,
    onTransportError: () => undefined,
    onReceiveResponse: (r) => received.push(r),
    onAuthenticated: (r) => authenticated.push(Number((r as unknown as { cseq: number }).cseq)),
  });
}

describe('an abandoned JsSIP request never answers a late challenge (RFC 3261 §10.2)', () => {
  it('not abandoned: JsSIP answers the 401 with CSeq + 1 (the control case)', async () => {
    const { ua, socket } = await start();
    const received: IncomingResponse[] = [];
    const authenticated: number[] = [];
    register(ua, received, authenticated);
    expect(socket.sent).toHaveLength(1);
    socket.ondata(challenge(socket.sent[0]!));
    expect(authenticated).toEqual([8]);
    expect(socket.sent).toHaveLength(2);
    expect(header(socket.sent[1]!, 'CSeq')).toBe('8 REGISTER');
  });

  it('abandoned: the late 401 is passed through as a response, nothing is sent, sender.abandoned is set', async () => {
    const { ua, socket } = await start();
    const received: IncomingResponse[] = [];
    const authenticated: number[] = [];
    const sent = register(ua, received, authenticated);
    const branch = sent.branch();
    expect(branch).toMatch(/^z9hG4bK/);
    sent.abandon();
    socket.ondata(challenge(socket.sent[0]!));
    expect(socket.sent).toHaveLength(1);
    expect(authenticated).toEqual([]);
    expect(received.map((r) => r.status_code)).toEqual([401]);
  });
});
