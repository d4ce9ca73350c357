/**
 * Credential masking for SIP traces and a bounded log. A trace is shown to people and exported,
 * so secrets never enter it: digest responses are masked, and so is the password wherever it
 * would appear verbatim.
 */

const AUTH_HEADER = /^((?:Proxy-)?Authorization|Authorization)[ \t]*:[ \t]*(\S+)(.*)$/gim;
/** Parameters that help a person diagnose (who, which realm) and reveal nothing derived from the secret. */
const SHOWN_PARAMS = new Set(['username', 'realm', 'uri', 'algorithm', 'qop']);

function maskAuthParams(scheme: string, params: string): string {
  const shown = params
    .split(',')
    .map((p) => p.trim())
    .filter((p) => SHOWN_PARAMS.has(p.split('=')[0]?.trim().toLowerCase() ?? ''));
  return [`${scheme}`, [...shown, 'response=<masked>'].join(', ')].join(' ');
}

/** Masks Authorization/Proxy-Authorization values and every verbatim occurrence of a secret. */
export function maskCredentials(message: string, secrets: readonly string[] = []): string {
  let masked = message.replace(AUTH_HEADER, (_line, name: string, scheme: string, rest: string) => `${name}: ${maskAuthParams(scheme, rest)}`);
  for (const secret of secrets) {
    if (secret.length > 0) masked = masked.split(secret).join('<masked>');
  }
  return masked;
}

/** Keeps the newest `capacity` items. */
export class BoundedLog<T> {
  private items: T[] = [];

  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  toArray(): T[] {
    return [...this.items];
  }

  get size(): number {
    return this.items.length;
  }
}
