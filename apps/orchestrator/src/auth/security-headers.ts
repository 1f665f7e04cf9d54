import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The Content-Security-Policy of every response: scripts, styles and forms
 * only from this origin, no `<base>`, no plugins, no framing.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Headers every response carries, pages and JSON alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Sets {@link SECURITY_HEADERS} on `res`. */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

/** A connect-style middleware setting {@link SECURITY_HEADERS} before anything else answers. */
export function securityHeaders() {
  return (_req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    res.removeHeader('x-powered-by');
    setSecurityHeaders(res);
    next();
  };
}
