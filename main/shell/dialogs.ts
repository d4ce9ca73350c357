/** The two questions the shell asks with native dialogs. */
import type { BrowserWindow } from 'electron';
import { dialog } from 'electron';

/** "Open this link in your browser?" showing the exact address; Cancel is the default. */
export async function confirmOpenExternal(parent: BrowserWindow | null, url: string): Promise<boolean> {
  const options = {
    type: 'question' as const,
    buttons: ['Cancel', 'Open in Browser'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
    message: 'Open this link in your web browser?',
    detail: url,
  };
  const { response } = parent ? await dialog.showMessageBox(parent, options) : await dialog.showMessageBox(options);
  return response === 1;
}

/** "Restart now to install the update?" */
export async function confirmRestartForUpdate(parent: BrowserWindow | null): Promise<boolean> {
  const options = {
    type: 'info' as const,
    buttons: ['Later', 'Restart Now'],
    defaultId: 1,
    cancelId: 0,
    noLink: true,
    message: 'An update to Trunkline is ready.',
    detail: 'Restarting unregisters every line, installs the update and registers them again.',
  };
  const { response } = parent ? await dialog.showMessageBox(parent, options) : await dialog.showMessageBox(options);
  return response === 1;
}
