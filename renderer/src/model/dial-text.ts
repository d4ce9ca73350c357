/**
 * What the number field keeps when a person types or pastes: a phone number loses its visual
 * separators (`+1 (555) 010-0199` → `+15550100199`, as SPEC "Dial" and common/dial-target.ts
 * clean it), anything else (a `sip:` URI, a user name) stays as typed, trimmed.
 */
import { normaliseDialTarget } from '../../../common/dial-target';

/** A domain only used to ask the shared normaliser for the user part; never dialled. */
const PROBE_DOMAIN = 'dial.invalid';

export function cleanDialInput(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '' || /^[a-z][a-z0-9+.-]*:/i.test(trimmed) || !/^[+\d\s\-.()*#]+$/.test(trimmed)) return trimmed;
  const result = normaliseDialTarget(trimmed, PROBE_DOMAIN);
  return result.ok ? result.user : trimmed;
}

/** The dial pad's keys in order, with the letters printed under them (ITU-T E.161). */
export const DIAL_KEYS: readonly { key: string; letters: string }[] = [
  { key: '1', letters: '' }, { key: '2', letters: 'ABC' }, { key: '3', letters: 'DEF' },
  { key: '4', letters: 'GHI' }, { key: '5', letters: 'JKL' }, { key: '6', letters: 'MNO' },
  { key: '7', letters: 'PQRS' }, { key: '8', letters: 'TUV' }, { key: '9', letters: 'WXYZ' },
  { key: '*', letters: '' }, { key: '0', letters: '+' }, { key: '#', letters: '' },
];

/** Whether a keyboard key is a DTMF digit (RFC 4733 events 0-11). */
export function isDialKey(key: string): boolean {
  return /^[0-9*#]$/.test(key);
}
