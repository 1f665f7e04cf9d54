// The terminal of `npm start`: log lines scroll, and on a terminal one status
// line (the active run's progress) stays under them, redrawn in place.

const CLEAR_LINE = '\r\x1b[2K';

/**
 * @param {NodeJS.WriteStream} out
 * @param {{ live: boolean }} options `live`: out is a terminal, so the status line is redrawn in place
 */
export function createScreen(out, { live }) {
  let status = '';
  const fit = (text) => {
    const width = Math.max(20, (out.columns || 100) - 1);
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  };
  return {
    live,
    /** Prints one line above the status line. */
    line(text) {
      out.write(live && status ? `${CLEAR_LINE}${text}\n${fit(status)}` : `${text}\n`);
    },
    /** Replaces the status line (on a terminal; elsewhere the caller prints progress as lines). */
    status(text) {
      status = text;
      if (live) out.write(`${CLEAR_LINE}${fit(text)}`);
    },
    clearStatus() {
      if (live && status) out.write(CLEAR_LINE);
      status = '';
    },
  };
}
