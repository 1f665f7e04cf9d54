import type { IncomingMessage } from 'node:http';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why a state-changing request was refused, or undefined when it may go on. */
export type CsrfRefusal = { status: 403 | 415; message: string } | undefined;

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The cross-site request check for state-changing requests (anything but
 * GET, HEAD and OPTIONS):
 * - a browser says where a request comes from (`Sec-Fetch-Site` in current
 *   browsers, `Origin` in older ones); when it does, it must be this app's
 *   own origin (`Sec-Fetch-Site: same-origin`, else an `Origin` whose host
 *   is `Host` or `X-Forwarded-Host`);
 * - the body, when there is one, must be `application/json`, which no
 *   cross-site form can send (a JSON request from another site needs a CORS
 *   preflight, which this app never grants). `allowForm` admits the login
 *   form's `application/x-www-form-urlencoded`.
 * Scripts (curl, `npm start`) send neither header and pass with a JSON body
 * or none. Cached HTTP Basic credentials do not help a cross-site request.
 */
export function checkCsrf(req: IncomingMessage, options: { allowForm?: boolean } = {}): CsrfRefusal {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return undefined;
  const site = firstHeader(req.headers['sec-fetch-site']);
  const origin = firstHeader(req.headers.origin);
  if (site !== undefined) {
    // The browser's own verdict, independent of proxies rewriting Host.
    if (site !== 'same-origin') return { status: 403, message: `cross-site request refused (Sec-Fetch-Site: ${site.slice(0, 40)})` };
  } else if (origin !== undefined) {
    let host: string | undefined;
    try {
      host = origin === 'null' ? undefined : new URL(origin).host;
    } catch {
      host = undefined;
    }
    // Behind a proxy the public host is in X-Forwarded-Host; a cross-site page cannot set that header without a preflight.
    const own = [req.headers.host, firstHeader(req.headers['x-forwarded-host'])].filter((h): h is string => typeof h === 'string' && h !== '');
    if (host === undefined || !own.includes(host)) return { status: 403, message: 'cross-site request refused (Origin is not this app)' };
  }
  const type = (firstHeader(req.headers['content-type']) ?? '').split(';')[0].trim().toLowerCase();
  const hasBody =
    type !== '' || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return undefined;
  if (type === 'application/json') return undefined;
  if (options.allowForm && type === 'application/x-www-form-urlencoded') return undefined;
  return {
    status: 415,
    message: `send the body as application/json${options.allowForm ? ' or application/x-www-form-urlencoded' : ''} (got ${type ? type.slice(0, 60) : 'no content type'})`,
  };
}
