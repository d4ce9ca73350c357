/**
 * Which shipped tray image (assets/tray, packaged into the app by electron-builder.yml) shows a
 * registration level on each platform: the plain mark while every enabled line is registered (or
 * none is enabled), the alert mark while any is not. macOS gets its black template images (the
 * menu bar tints them); Windows its multi-size .ico; Linux PNGs (with @2x beside them).
 */
import type { TrayLevel } from './tray-status';

export function trayIconFile(level: TrayLevel, platform: NodeJS.Platform): string {
  const alert = level === 'partial' || level === 'down';
  if (platform === 'darwin') return alert ? 'trayAlertTemplate.png' : 'trayTemplate.png';
  if (platform === 'win32') return alert ? 'tray-alert.ico' : 'tray.ico';
  return alert ? 'tray-alert.png' : 'tray.png';
}
