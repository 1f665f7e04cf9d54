function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A stand-in origin to resolve `next` against; only paths on it are kept. */
const SELF = 'http://orchestrator.invalid';

/**
 * The path to go to after login, from an untrusted `next`: it is resolved
 * against the app's own origin the way a browser resolves a `Location`
 * (tabs and newlines dropped, `\` read as `/`, `//host` as another host), and
 * only a path on that same origin survives; anything else gives `/`. The
 * result is the URL serializer's ASCII form (non-ASCII percent-encoded), so
 * it is always a valid header value, and it never starts with `//` or `/\`,
 * even after one round of percent-decoding.
 */
export function safeNext(next: string | null | undefined): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.length > 2048) return '/';
  let url: URL;
  try {
    url = new URL(next, SELF);
  } catch {
    return '/';
  }
  if (url.origin !== SELF) return '/';
  const path = `${url.pathname}${url.search}`;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return '/';
  }
  if (/^[/\\]{2}/.test(path) || /^[/\\]{2}/.test(decoded) || hasControlCharacter(decoded)) return '/';
  return path;
}
