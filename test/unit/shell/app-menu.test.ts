import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { appMenuTemplate, trayMenuTemplate } from '../../../main/shell/app-menu';
import { updateChannel } from '../../../main/shell/update-channel';

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
}

function click(items: MenuItemConstructorOptions[], id: string): void {
  const item = flatten(items).find((i) => i.id === id);
  if (!item?.click) throw new Error(`no clickable ${id}`);
  (item.click as () => void)();
}

describe('application and tray menus', () => {
  for (const isMac of [false, true]) {
    it(`${isMac ? 'macOS' : 'Windows/Linux'}: Quit goes through the app's quit path, and Check for Updates asks the updater`, () => {
      const calls: string[] = [];
      const template = appMenuTemplate({ quit: () => calls.push('quit'), checkForUpdates: () => calls.push('updates'), showWindow: () => calls.push('show') }, { isMac, devTools: false });
      click(template, 'quit');
      click(template, 'check-for-updates');
      expect(calls).toEqual(['quit', 'updates']);
      const quit = flatten(template).find((i) => i.id === 'quit')!;
      expect(quit).toMatchObject({ label: 'Quit Trunkline', accelerator: 'CmdOrCtrl+Q' });
      // Copy and paste keep working in the line forms.
      expect(flatten(template).map((i) => i.role)).toEqual(expect.arrayContaining(['copy', 'paste', 'cut', 'selectAll']));
    });
  }

  it('DevTools and reload only in development builds', () => {
    const actions = { quit: () => {}, checkForUpdates: () => {}, showWindow: () => {} };
    const roles = (devTools: boolean) => flatten(appMenuTemplate(actions, { isMac: false, devTools })).map((i) => i.role);
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).not.toContain('reload');
    expect(roles(true)).toEqual(expect.arrayContaining(['toggleDevTools', 'reload']));
  });

  it('the tray menu: status, Show, Quit', () => {
    const calls: string[] = [];
    const template = trayMenuTemplate({ quit: () => calls.push('quit'), showWindow: () => calls.push('show') }, '3 of 5 lines registered');
    expect(template.map((i) => i.label ?? i.type)).toEqual(['3 of 5 lines registered', 'separator', 'Show Trunkline', 'Quit']);
    click(template, 'show');
    click(template, 'quit');
    expect(calls).toEqual(['show', 'quit']);
  });

  it('a prerelease build follows the beta update channel', () => {
    expect(updateChannel('1.2.0')).toBe('stable');
    expect(updateChannel('1.3.0-beta.2')).toBe('beta');
    expect(updateChannel('2.0.0-rc.1')).toBe('beta');
  });
});
