import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DiagnosticsExports } from '../../../main/shell/diagnostics-exports';
import { DEFAULT_HEP_SETTING, DEFAULT_METRICS_SETTING, parseHepSetting, parseMetricsSetting } from '../../../main/shell/diagnostics-settings';
import { DEFAULT_SETTINGS, MemoryLineRepository } from '../../../main/shell/line-repository';
import { LineService } from '../../../main/shell/line-service';
import { SipEngine } from '../../../main/sip/engine';
import type { TraceRecord } from '../../../main/sip/transport/sip-socket';
import type { AppNotice, AppSettings } from '../../../preload/contract';
import { FakeClock } from '../../fake-clock';
import { ScriptedChannel } from '../sip/scripted-channel';

/** A loopback TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function get(port: number, path = '/metrics'): Promise<{ status: number; body: string } | Error> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return error as Error;
  }
}

describe('diagnostics settings: validation', () => {
  it('defaults are off, 9464, udp:127.0.0.1:9060, capture id 2001', () => {
    expect(DEFAULT_SETTINGS.metrics).toEqual({ enabled: false, port: 9464 });
    expect(DEFAULT_SETTINGS.hep).toEqual({ enabled: false, target: 'udp:127.0.0.1:9060', captureId: 2001 });
  });

  it('metrics: a partial patch keeps the rest; each bad field is named', () => {
    expect(parseMetricsSetting({ enabled: true })).toEqual({ ok: true, value: { enabled: true, port: 9464 } });
    expect(parseMetricsSetting({ port: 1024 }, { enabled: true, port: 9464 })).toEqual({ ok: true, value: { enabled: true, port: 1024 } });
    for (const port of [80, 1023, 65536, 9464.5, '9464', -1]) {
      expect(parseMetricsSetting({ port })).toEqual({ ok: false, errors: [{ path: 'metrics.port', message: 'must be an integer from 1024 to 65535' }] });
    }
    expect(parseMetricsSetting({ enabled: 'yes', host: '0.0.0.0' })).toEqual({
      ok: false,
      errors: [{ path: 'metrics.host', message: 'is not a known field (known: enabled, port)' }, { path: 'metrics.enabled', message: 'must be true or false' }],
    });
    expect(parseMetricsSetting(true)).toMatchObject({ ok: false, errors: [{ path: 'metrics' }] });
  });

  it('hep: target through parseHepTarget (IP only), capture id 32 bits', () => {
    expect(parseHepSetting({ enabled: true, target: 'udp:[::1]:9061', captureId: 7 })).toEqual({ ok: true, value: { enabled: true, target: 'udp:[::1]:9061', captureId: 7 } });
    for (const target of ['udp:homer:9060', 'tcp:127.0.0.1:9060', '127.0.0.1:9060', 'udp:127.0.0.1:0', 42]) {
      expect(parseHepSetting({ target })).toEqual({ ok: false, errors: [{ path: 'hep.target', message: 'must be udp:IP:PORT like udp:127.0.0.1:9060 or udp:[::1]:9060' }] });
    }
    for (const captureId of [0, 2 ** 32, 1.5]) expect(parseHepSetting({ captureId })).toMatchObject({ ok: false, errors: [{ path: 'hep.captureId' }] });
    expect(parseHepSetting({}, DEFAULT_HEP_SETTING)).toEqual({ ok: true, value: DEFAULT_HEP_SETTING });
  });

  it('through the service: field-named errors leave the settings unchanged; a good change is stored and announced', async () => {
    const clock = new FakeClock();
    const engine = new SipEngine({ clock, createChannel: () => new ScriptedChannel(clock) });
    const repository = new MemoryLineRepository([], DEFAULT_SETTINGS);
    const changed: AppSettings[] = [];
    const service = new LineService(engine, repository, (event, payload) => event === 'settings:changed' && changed.push(payload as AppSettings));
    expect(await service.dispatch('settings:update', [{ metrics: { enabled: true, port: 22 } }])).toEqual({
      ok: false,
      error: { message: 'metrics.port: must be an integer from 1024 to 65535', fields: [{ path: 'metrics.port', message: 'must be an integer from 1024 to 65535' }] },
    });
    expect(await service.dispatch('settings:update', [{ hep: { target: 'udp:homer:9060' } }])).toMatchObject({ ok: false, error: { fields: [{ path: 'hep.target' }] } });
    expect(changed).toEqual([]);
    expect(repository.loadSettings()).toEqual(DEFAULT_SETTINGS);
    const answer = await service.dispatch('settings:update', [{ metrics: { enabled: true } }]);
    expect(answer).toEqual({ ok: true, value: { ...DEFAULT_SETTINGS, metrics: { ...DEFAULT_METRICS_SETTING, enabled: true } } });
    expect(repository.loadSettings().metrics).toEqual({ enabled: true, port: 9464 });
    expect(changed).toHaveLength(1);
    expect(DEFAULT_SETTINGS.metrics.enabled).toBe(false); // the defaults were not changed in place
    service.dispose();
    await engine.shutdown(0);
  });
});

describe('diagnostics exports: applied live', () => {
  it('metrics: started on loopback, rebound to another port, stopped; a busy port is reported and left off', async () => {
    const clock = new FakeClock();
    const engine = new SipEngine({ clock, createChannel: () => new ScriptedChannel(clock) });
    const notices: AppNotice[] = [];
    const diagnostics = new DiagnosticsExports((notice) => notices.push(notice));
    diagnostics.follow(engine);
    const [first, second] = [await freePort(), await freePort()];

    await diagnostics.apply({ metrics: { enabled: false, port: first }, hep: DEFAULT_HEP_SETTING });
    expect(await get(first)).toBeInstanceOf(Error);

    await diagnostics.apply({ metrics: { enabled: true, port: first }, hep: DEFAULT_HEP_SETTING });
    expect(diagnostics.status().metricsPort).toBe(first);
    const served = await get(first);
    expect(served).toMatchObject({ status: 200 });
    expect((served as { body: string }).body).toContain('# TYPE trunkline_line_registered gauge');

    await diagnostics.apply({ metrics: { enabled: true, port: second }, hep: DEFAULT_HEP_SETTING });
    expect(await get(first)).toBeInstanceOf(Error);
    expect(await get(second)).toMatchObject({ status: 200 });

    await diagnostics.apply({ metrics: { enabled: false, port: second }, hep: DEFAULT_HEP_SETTING });
    expect(await get(second)).toBeInstanceOf(Error);
    expect(diagnostics.status().metricsPort).toBeNull();

    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(first, '127.0.0.1', resolve));
    await diagnostics.apply({ metrics: { enabled: true, port: first }, hep: DEFAULT_HEP_SETTING });
    expect(diagnostics.status().metricsPort).toBeNull();
    expect(notices).toEqual([{ level: 'error', message: expect.stringContaining(`cannot listen on 127.0.0.1:${first}`) }]);
    await new Promise<void>((resolve) => busy.close(() => resolve()));

    await diagnostics.close();
    await engine.shutdown(0);
  });

  it('hep: the engine hook sends nothing while off, a HEP packet to the collector while on', async () => {
    const collector = createSocket('udp4');
    await new Promise<void>((resolve) => collector.bind(0, '127.0.0.1', resolve));
    const packets: Buffer[] = [];
    collector.on('message', (packet) => packets.push(packet));
    const target = `udp:127.0.0.1:${collector.address().port}`;
    const record: TraceRecord = {
      direction: 'sent', text: 'OPTIONS sip:a@127.0.0.2 SIP/2.0\r\nCall-ID: x1\r\nContent-Length: 0\r\n\r\n', retransmission: false,
      time: 1_800_000_000_000, transport: 'udp', local: { address: '127.0.0.1', port: 40000 }, remote: { address: '127.0.0.2', port: 5060 },
    };
    const diagnostics = new DiagnosticsExports();
    const off = { metrics: DEFAULT_METRICS_SETTING, hep: { enabled: false, target, captureId: 9 } };

    await diagnostics.apply(off);
    diagnostics.traceSink(record, []);
    await diagnostics.apply({ ...off, hep: { ...off.hep, enabled: true } });
    expect(diagnostics.status().hepTarget).toBe(target);
    diagnostics.traceSink(record, []);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(packets).toHaveLength(1);
    expect(packets[0]!.subarray(0, 4).toString('ascii')).toBe('HEP3');
    expect(packets[0]!.toString('latin1')).toContain('Call-ID: x1');

    await diagnostics.apply(off);
    diagnostics.traceSink(record, []);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(packets).toHaveLength(1);
    await diagnostics.close();
    collector.close();
  });
});
