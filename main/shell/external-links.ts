/**
 * Links leaving the app (Electron security checklist 16): only http and https, never with user
 * info in the URL (a classic disguise), and only after the person confirms the exact address.
 * LineService already refuses other schemes; this is the second, independent check at the door.
 */

export interface ExternalLinkDeps {
  /** Asks the person; resolves true to open. */
  confirm(url: string): Promise<boolean>;
  /** Hands the URL to the OS browser (`shell.openExternal`). */
  open(url: string): Promise<void>;
}

/** Normalises `url` if it may be offered to the browser at all, else null. */
export function externalUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (parsed.username !== '' || parsed.password !== '') return null;
  return parsed.toString();
}

/** LineService's `openExternal` callback: answers whether the link was opened. */
export function createExternalOpener(deps: ExternalLinkDeps): (url: string) => Promise<boolean> {
  return async (url) => {
    const safe = externalUrl(url);
    if (safe === null) return false;
    if (!(await deps.confirm(safe))) return false;
    await deps.open(safe);
    return true;
  };
}
