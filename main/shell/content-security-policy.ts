/**
 * The UI's Content-Security-Policy, sent as a header with every response of the app scheme: only
 * the app's own scripts, styles, images (plus `data:` images) and fonts, and no network beyond the
 * app origin. `base-uri`, `form-action` and `frame-ancestors` are not covered by `default-src`,
 * so they are closed explicitly.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every app-scheme response carries. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  };
}
