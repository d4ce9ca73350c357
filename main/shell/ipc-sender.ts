/**
 * Who may call a command (Electron security checklist 17): the main frame of our own window,
 * showing the app origin. A subframe, another window, a frame that navigated away, or a frame that
 * is gone (`senderFrame` null) is refused before the payload is even looked at.
 */
import { isAppUrl } from './app-origin';

/** The parts of `IpcMainInvokeEvent` the check reads. */
export interface SenderFacts {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

export type SenderVerdict = { trusted: true } | { trusted: false; reason: string };

/** Checks one IPC sender against the window we created (`windowContentsId` null = none yet). */
export function checkSender(event: SenderFacts, windowContentsId: number | null): SenderVerdict {
  if (windowContentsId === null || event.sender.id !== windowContentsId) return { trusted: false, reason: 'not the main window' };
  const frame = event.senderFrame;
  if (frame === null) return { trusted: false, reason: 'the sending frame is gone' };
  if (frame.parent !== null) return { trusted: false, reason: 'not the main frame' };
  if (!isAppUrl(frame.url)) return { trusted: false, reason: 'not the app origin' };
  return { trusted: true };
}
