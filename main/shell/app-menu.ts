/**
 * The application menu and the tray menu, as plain templates with callbacks, so what they offer
 * is tested without Electron (`Menu.buildFromTemplate` turns them into menus).
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface AppMenuActions {
  quit(): void;
  checkForUpdates(): void;
  showWindow(): void;
}

/** The window/app menu. Edit roles keep copy and paste working in text fields (macOS needs them). */
export function appMenuTemplate(actions: AppMenuActions, options: { isMac: boolean; devTools: boolean }): MenuItemConstructorOptions[] {
  const quit: MenuItemConstructorOptions = { id: 'quit', label: 'Quit Trunkline', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() };
  const updates: MenuItemConstructorOptions = { id: 'check-for-updates', label: 'Check for Updates…', click: () => actions.checkForUpdates() };
  const view: MenuItemConstructorOptions[] = [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }];
  if (options.devTools) view.push({ type: 'separator' }, { role: 'reload' }, { role: 'toggleDevTools' });
  const edit: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
  };
  if (options.isMac) {
    return [
      { label: 'Trunkline', submenu: [{ role: 'about' }, updates, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, quit] },
      edit,
      { label: 'View', submenu: view },
      { role: 'windowMenu' },
    ];
  }
  return [
    { label: 'File', submenu: [{ label: 'Show Window', click: () => actions.showWindow() }, { type: 'separator' }, quit] },
    edit,
    { label: 'View', submenu: view },
    { label: 'Help', submenu: [updates] },
  ];
}

/** The tray's context menu; the first row repeats the tooltip, which Linux trays do not show. */
export function trayMenuTemplate(actions: Pick<AppMenuActions, 'quit' | 'showWindow'>, status: string): MenuItemConstructorOptions[] {
  return [
    { id: 'status', label: status, enabled: false },
    { type: 'separator' },
    { id: 'show', label: 'Show Trunkline', click: () => actions.showWindow() },
    { id: 'quit', label: 'Quit', click: () => actions.quit() },
  ];
}
