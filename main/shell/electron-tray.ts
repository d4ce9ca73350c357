/** The TrayPort on Electron's Tray, images from assets/tray; a click shows the window (Windows, most Linux trays). */
import { Menu, nativeImage, Tray } from 'electron';
import { join } from 'node:path';
import type { TrayPort } from './tray-controller';

export function createElectronTray(iconFolder: string, file: string, onClick: () => void): TrayPort {
  // createFromPath picks up @2x siblings, and marks *Template.png as a macOS template image.
  const image = (name: string) => nativeImage.createFromPath(join(iconFolder, name));
  const tray = new Tray(image(file));
  tray.on('click', onClick);
  return {
    setImage: (name) => tray.setImage(image(name)),
    setToolTip: (text) => tray.setToolTip(text),
    setMenu: (template) => tray.setContextMenu(Menu.buildFromTemplate(template)),
    destroy: () => tray.destroy(),
  };
}
