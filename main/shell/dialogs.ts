/** The two questions the shell asks with native dialogs. */
import type { BrowserWindow, MessageBoxOptions } from 'electron';
import { dialog } from 'electron';

/** Asks a two-button question; the second button is "yes". */
async function ask(parent: BrowserWindow | null, options: MessageBoxOptions & { buttons: [string, string] }): Promise<boolean> {
  const full = { ...options, cancelId: 0, noLink: true };
  const { response } = parent ? await dialog.showMessageBox(parent, full) : await dialog.showMessageBox(full);
  return response === 1;
}

/** "Open this link in your browser?" showing the exact address; Cancel is the default. */
export function confirmOpenExternal(parent: BrowserWindow | null, url: string): Promise<boolean> {
  return ask(parent, {
    type: 'question',
    buttons: ['Cancel', 'Open in Browser'],
    defaultId: 0,
    message: 'Open this link in your web browser?',
    detail: url,
  });
}

/** "Restart now to install the update?" */
export function confirmRestartForUpdate(parent: BrowserWindow | null): Promise<boolean> {
  return ask(parent, {
    type: 'info',
    buttons: ['Later', 'Restart Now'],
    defaultId: 1,
    message: 'An update to Trunkline is ready.',
    detail: 'Restarting unregisters every line, installs the update and registers them again.',
  });
}
