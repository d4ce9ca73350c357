/** Shows a DesktopNotice with Electron's Notification; a click brings the window forward. */
import { Notification } from 'electron';
import type { DesktopNotice } from './notification-policy';

export function createDesktopNotifier(onClick: () => void): (notice: DesktopNotice) => void {
  // Held until closed: a garbage-collected Notification loses its click handler (Windows).
  const live = new Set<Notification>();
  return (notice) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title: notice.title, body: notice.body });
    live.add(notification);
    // Some Linux servers never report 'close': keep the set bounded anyway.
    if (live.size > 16) live.delete(live.values().next().value as Notification);
    notification.on('click', onClick);
    notification.on('close', () => live.delete(notification));
    notification.show();
  };
}
