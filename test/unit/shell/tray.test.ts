import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import type { LineSnapshot, LineState } from '../../../common/line-status';
import type { TrayPort } from '../../../main/shell/tray-controller';
import { TrayController } from '../../../main/shell/tray-controller';
import { trayIconFile } from '../../../main/shell/tray-icon';
import { TrayStatus } from '../../../main/shell/tray-status';
import { FakeClock } from '../../fake-clock';

const line = (id: string, state: LineState) => ({ id, state }) as LineSnapshot;

describe('tray: "N of M lines registered"', () => {
  it('counts registered lines out of enabled ones, incrementally', () => {
    const status = new TrayStatus();
    expect(status.summary()).toEqual({ registered: 0, total: 0, level: 'idle', tooltip: 'Trunkline — no lines enabled', missedCalls: 0 });
    status.observe(line('a', 'registering'));
    status.observe(line('b', 'registering'));
    status.observe(line('c', 'disabled'));
    expect(status.summary()).toMatchObject({ registered: 0, total: 2, level: 'down', tooltip: 'Trunkline — 0 of 2 lines registered' });
    status.observe(line('a', 'registered'));
    expect(status.summary()).toMatchObject({ registered: 1, total: 2, level: 'partial', tooltip: 'Trunkline — 1 of 2 lines registered' });
    status.observe(line('b', 'registered'));
    expect(status.summary()).toMatchObject({ level: 'ok', tooltip: 'Trunkline — 2 of 2 lines registered' });
    status.observe(line('a', 'registered')); // a refresh: no double count
    status.remove('b');
    status.remove('nope');
    expect(status.summary()).toMatchObject({ registered: 1, total: 1, tooltip: 'Trunkline — 1 of 1 line registered' });
  });

  it('missed calls not seen yet are counted after the lines', () => {
    const status = new TrayStatus();
    status.observe(line('a', 'registered'));
    status.setMissedCalls(2);
    expect(status.summary()).toMatchObject({ tooltip: 'Trunkline — 1 of 1 line registered · 2 missed calls', missedCalls: 2 });
    status.setMissedCalls(1);
    expect(status.summary().tooltip).toBe('Trunkline — 1 of 1 line registered · 1 missed call');
    status.setMissedCalls(0);
    expect(status.summary().tooltip).toBe('Trunkline — 1 of 1 line registered');
  });

  it('counts 5,000 lines through every change exactly', () => {
    const status = new TrayStatus();
    for (let i = 0; i < 5_000; i++) status.observe(line(`l${i}`, 'registering'));
    for (let i = 0; i < 5_000; i += 2) status.observe(line(`l${i}`, 'registered'));
    expect(status.summary()).toMatchObject({ registered: 2_500, total: 5_000 });
    for (let i = 1; i < 5_000; i += 2) status.observe(line(`l${i}`, 'registered'));
    expect(status.summary()).toMatchObject({ registered: 5_000, total: 5_000 });
  });

  it('shows the alert mark while any enabled line is not registered, per platform', () => {
    expect(trayIconFile('ok', 'linux')).toBe('tray.png');
    expect(trayIconFile('idle', 'linux')).toBe('tray.png');
    expect(trayIconFile('partial', 'linux')).toBe('tray-alert.png');
    expect(trayIconFile('down', 'win32')).toBe('tray-alert.ico');
    expect(trayIconFile('ok', 'win32')).toBe('tray.ico');
    expect(trayIconFile('down', 'darwin')).toBe('trayAlertTemplate.png');
    expect(trayIconFile('ok', 'darwin')).toBe('trayTemplate.png');
  });

  it('names only images that ship in assets/tray (packaged by electron-builder.yml)', () => {
    const shipped = readdirSync(join(__dirname, '..', '..', '..', 'assets', 'tray'));
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      for (const level of ['ok', 'partial', 'down', 'idle'] as const) expect(shipped).toContain(trayIconFile(level, platform));
    }
  });

  it('the tray follows the count within 500 ms, touching it only when what it shows changes', () => {
    const clock = new FakeClock();
    const status = new TrayStatus();
    const calls: string[] = [];
    let menu: MenuItemConstructorOptions[] = [];
    const tray: TrayPort = {
      setImage: (file) => calls.push(`image ${file}`),
      setToolTip: (text) => calls.push(`tooltip ${text}`),
      setMenu: (template) => {
        menu = template;
        calls.push('menu');
      },
      destroy: () => calls.push('destroy'),
    };
    const actions = { quit: () => calls.push('quit'), showWindow: () => calls.push('show') };
    const controller = new TrayController({ clock, status, actions, platform: 'linux', createTray: (file) => (calls.push(`create ${file}`), tray) });
    expect(calls).toEqual(['create tray.png', 'tooltip Trunkline — no lines enabled', 'menu']);
    calls.length = 0;
    for (let i = 0; i < 100; i++) {
      status.observe(line(`l${i}`, 'registering'));
      controller.changed();
    }
    expect(calls).toEqual([]);
    clock.advance(500);
    expect(calls).toEqual(['image tray-alert.png', 'tooltip Trunkline — 0 of 100 lines registered', 'menu']);
    expect(menu[0]).toMatchObject({ label: '0 of 100 lines registered', enabled: false });
    calls.length = 0;
    controller.changed();
    clock.advance(500);
    expect(calls).toEqual([]);
    (menu.find((m) => m.id === 'quit')!.click as () => void)();
    (menu.find((m) => m.id === 'show')!.click as () => void)();
    expect(calls).toEqual(['quit', 'show']);
    controller.changed();
    controller.destroy();
    expect(clock.pendingDelays()).toEqual([]);
  });
});
