// Small helpers shared by the server definitions.

export { withTimeout } from '@userstream/tools/testing/async';

export function xmlEscape(text) {
  return String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
