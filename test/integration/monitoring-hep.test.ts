/**
 * HEP export against a real collector: the engine registers lines on a real Kamailio, every SIP
 * message it sends or receives goes through the HEP exporter to sngrep listening for HEP (-L), and
 * the pcap sngrep writes is read back: the REGISTER/200 pairs are there, with the right addresses and
 * ports, and the Authorization masked as in the trace.
 *
 * First through the engine's own hook (`EngineOptions.traceSink`, nothing tapped), then from the
 * monitor process itself (`--hep udp:…`): without the hook neither sees a single packet.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHepExporter } from '../../main/monitoring/hep-exporter';
import type { HepExporter } from '../../main/monitoring/hep-exporter';
import { SipEngine } from '../../main/sip/engine';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import type { PcapPacket, SngrepInstance } from '../harness/sngrep';
import { startSngrep } from '../harness/sngrep';
import { DOMAIN, USERS, eventually, lineConfig, registeredOn, waitForLine } from './engine-fixture';

let kamailio: KamailioInstance;
let sngrep: SngrepInstance | null = null;

beforeAll(async () => {
  kamailio = await startKamailio({ name: 'hep', users: USERS, domain: DOMAIN });
});

afterAll(async () => {
  await Promise.all([kamailio?.stop(), sngrep?.stop()]);
});

/** An engine whose every traced message goes to `exporter` through the engine's own hook. */
function engineExportingTo(exporter: HepExporter): SipEngine {
  return new SipEngine({ userAgent: 'Trunkline-test', traceSink: exporter.exportRecord });
}

const header = (message: string, name: string): string | null => {
  const m = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im').exec(message.split('\r\n\r\n')[0]!);
  return m ? m[1]!.trim() : null;
};

describe('HEP export to sngrep', () => {
  it('every SIP message of a UDP and a TCP line reaches the collector; REGISTER/200 pairs with masked Authorization', async () => {
    sngrep = await startSngrep();
    const exporter = createHepExporter({ target: { host: sngrep.host, port: sngrep.port }, captureId: 4242, password: 'hep-secret' });
    const engine = engineExportingTo(exporter);
    const udp = lineConfig({ id: 'hep-udp', username: '1071', password: USERS['1071'], servers: [{ host: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' }] });
    const tcp = lineConfig({ id: 'hep-tcp', username: '1072', password: USERS['1072'], servers: [{ host: kamailio.ip, port: kamailio.ports.tcp, transport: 'tcp' }] });
    engine.addLine(udp);
    engine.addLine(tcp);
    await Promise.all([
      waitForLine(engine, 'hep-udp', registeredOn(0), 15_000, 'registered over UDP'),
      waitForLine(engine, 'hep-tcp', registeredOn(0), 15_000, 'registered over TCP'),
    ]);
    await engine.shutdown(3000);
    const traced = [...engine.trace('hep-udp'), ...engine.trace('hep-tcp')];
    // Give the last datagrams a moment to reach sngrep before it stops.
    await new Promise((r) => setTimeout(r, 500));
    const packets = await sngrep.stopAndRead();
    sngrep = null;
    await exporter.close();

    // Everything traced was exported, and everything exported arrived (loopback UDP).
    expect(exporter.stats()).toMatchObject({ sent: traced.length, dropped: 0, errors: 0 });
    expect(packets).toHaveLength(traced.length);

    const check = (lineId: string, user: string, serverPort: number): void => {
      const ours = packets.filter((p) => header(p.payload, 'From')?.includes(`sip:${user}@`));
      const requests = ours.filter((p) => p.payload.startsWith('REGISTER ') && header(p.payload, 'Authorization') !== null);
      expect(requests.length, `${lineId}: authorized REGISTERs`).toBeGreaterThanOrEqual(2); // register + unregister
      for (const request of requests) {
        // sngrep 1.6 writes every message it got over HEP as a UDP frame, whatever the HEP IP
        // protocol chunk says (the chunk itself is checked in test/unit/monitoring/hep.test.ts).
        expect(request).toMatchObject({ protocol: 'udp', dstIp: kamailio.ip, dstPort: serverPort });
        expect(request.srcIp).toMatch(/^127\./);
        const authorization = header(request.payload, 'Authorization')!;
        expect(authorization).toContain(`username="${user}"`);
        expect(authorization).toMatch(/, response=<masked>$/);
        expect(authorization).not.toMatch(/nonce|nc=/);
        const ok = ours.find((p) => p.payload.startsWith('SIP/2.0 200') && header(p.payload, 'Call-ID') === header(request.payload, 'Call-ID') && header(p.payload, 'CSeq') === header(request.payload, 'CSeq'));
        expect(ok, `${lineId}: a 200 for CSeq ${header(request.payload, 'CSeq')}`).toBeDefined();
        // A response travels the other way: from the server's port to ours.
        expect(ok).toMatchObject({ srcIp: kamailio.ip, srcPort: serverPort, dstIp: request.srcIp, dstPort: request.srcPort });
      }
      const trace = engine.trace(lineId);
      // Same messages, same order, same masking as the engine's own trace.
      expect(ours.map((p) => p.payload)).toEqual(trace.map((t) => t.text));
    };
    check('hep-udp', '1071', kamailio.ports.udp);
    check('hep-tcp', '1072', kamailio.ports.tcp);

    const all = packets.map((p: PcapPacket) => p.payload).join('\n');
    expect(all).not.toContain(USERS['1071']);
    expect(all).not.toContain(USERS['1072']);
    expect(all).not.toMatch(/response="?[0-9a-f]{32}/);
  });
});

describe('HEP export from the monitor process', () => {
  it('npm run monitor -- --hep udp:…: its REGISTER/200 pairs (and OPTIONS) reach sngrep, masked', async () => {
    sngrep = await startSngrep();
    const dir = mkdtempSync(join(tmpdir(), 'trunkline-monitoring-hep-'));
    const config = join(dir, 'monitor.json');
    writeFileSync(config, JSON.stringify({
      lines: [{ id: 'hep-cli', username: '1073', password: USERS['1073'], domain: DOMAIN, liveness: { interval: 5 }, servers: [{ host: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' }] }],
    }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/monitor/cli.ts', '--config', config, '--json', '--hep', `udp:${sngrep.host}:${sngrep.port}`], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually(() => stdout.includes('"state":"registered"'), 20_000, `monitor registered (stderr: ${stderr})`);
      // One liveness round (OPTIONS every 5 s) goes through the same hook.
      await eventually(() => /"livenessRttMs":\d/.test(stdout), 15_000, 'a liveness round trip');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 500));
    const packets = await sngrep.stopAndRead();
    sngrep = null;
    const ours = packets.filter((p) => header(p.payload, 'From')?.includes('sip:1073@'));
    const requests = ours.filter((p) => p.payload.startsWith('REGISTER ') && header(p.payload, 'Authorization') !== null);
    // The register and the unregister on SIGTERM, both answered 200 and exported by the monitor.
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.some((r) => /^Expires:\s*0\s*$/im.test(r.payload.split('\r\n\r\n')[0]!))).toBe(true);
    for (const request of requests) {
      expect(request).toMatchObject({ dstIp: kamailio.ip, dstPort: kamailio.ports.udp });
      expect(header(request.payload, 'Authorization')).toMatch(/, response=<masked>$/);
      const ok = ours.find((p) => p.payload.startsWith('SIP/2.0 200') && header(p.payload, 'Call-ID') === header(request.payload, 'Call-ID') && header(p.payload, 'CSeq') === header(request.payload, 'CSeq'));
      expect(ok, `a 200 for CSeq ${header(request.payload, 'CSeq')}`).toBeDefined();
    }
    expect(packets.some((p) => p.payload.startsWith('OPTIONS '))).toBe(true);
    const all = packets.map((p) => p.payload).join('\n');
    expect(all).not.toContain(USERS['1073']);
    expect(stdout + stderr).not.toContain(USERS['1073']);
  });
});
