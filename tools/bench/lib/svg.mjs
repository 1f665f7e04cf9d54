// Small, dependency-free SVG charts: line charts (time series) and grouped
// bar charts, linear or logarithmic y axis, stacked into one document.
//
//   const svg = svgDocument('Drain', [lineChart({ ... }), barChart({ ... })]);

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';

function esc(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1234 -> "1.23k", 1500000 -> "1.5M", 0.0123 -> "0.0123". */
export function formatNumber(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  const abs = Math.abs(value);
  const trim = (s) => s.replace(/\.0+$|(\.\d*?)0+$/, '$1');
  if (abs >= 1e9) return `${trim((value / 1e9).toFixed(2))}G`;
  if (abs >= 1e6) return `${trim((value / 1e6).toFixed(2))}M`;
  if (abs >= 1e4) return `${trim((value / 1e3).toFixed(1))}k`;
  if (abs >= 1e3) return `${trim((value / 1e3).toFixed(2))}k`;
  if (abs >= 100) return String(Math.round(value));
  if (abs >= 10) return trim(value.toFixed(1));
  if (abs >= 1) return trim(value.toFixed(2));
  if (abs === 0) return '0';
  return trim(value.toPrecision(2));
}

/** Round tick steps (1, 2, 5 x 10^n) covering [min, max]. */
function linearTicks(min, max, target = 5) {
  if (max <= min) max = min + 1;
  const raw = (max - min) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { lo, hi, ticks };
}

function logTicks(min, max) {
  const lo = 10 ** Math.floor(Math.log10(Math.max(min, 1e-9)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(max, lo * 10)));
  const ticks = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    ticks.push(v);
  }
  return { lo, hi, ticks };
}

/** @param {{ values: number[], log: boolean, zero?: boolean, top?: number }} options */
function yScale({ values, log, zero = true, top }) {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let min = finite.length ? Math.min(...finite) : 0;
  let max = finite.length ? Math.max(...finite) : 1;
  if (top !== undefined) max = Math.max(max, top);
  if (log) {
    const { lo, hi, ticks } = logTicks(min, max);
    return { ticks, map: (v, h) => h - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * h };
  }
  if (zero) min = Math.min(0, min);
  if (max === min) max = min + 1;
  const { lo, hi, ticks } = linearTicks(min, max * 1.05);
  return { ticks, map: (v, h) => h - ((v - lo) / (hi - lo)) * h };
}

/** @typedef {(value: number) => string} NumberFormat */
/** A horizontal reference line. @typedef {{ y: number, label: string, color?: string }} HLine */
/** @typedef {{ width: number, height: number, body: string }} Panel */

const MARGIN = { left: 72, right: 24, top: 44, bottom: 58 };

/**
 * @param {{ width: number, height: number, title: string, yLabel?: string, xLabel?: string, ticks: number[], map: (v: number, h: number) => number, plotW: number, plotH: number, yFormat?: NumberFormat }} options
 */
function frame({ width, height, title, yLabel, xLabel, ticks, map, plotW, plotH, yFormat = formatNumber }) {
  const parts = [];
  parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600" ${FONT}>${esc(title)}</text>`);
  for (const t of ticks) {
    const y = MARGIN.top + map(t, plotH);
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#374151" ${FONT}>${esc(yFormat(t))}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#6b7280"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#6b7280"/>`);
  if (yLabel) {
    parts.push(
      `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="#111827" ${FONT}>${esc(yLabel)}</text>`,
    );
  }
  if (xLabel) {
    parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 8}" text-anchor="middle" font-size="12" fill="#111827" ${FONT}>${esc(xLabel)}</text>`);
  }
  return parts;
}

function legend(names, colors, x, y) {
  return names.map((name, i) => {
    const yy = y + i * 16;
    return `<rect x="${x}" y="${yy - 9}" width="12" height="10" fill="${colors[i]}"/><text x="${x + 16}" y="${yy}" font-size="11" fill="#111827" ${FONT}>${esc(name)}</text>`;
  });
}

/**
 * A line chart panel. `series`: `[{ name, points: [[x, y], ...], color? }]`;
 * `hlines`: horizontal reference lines `[{ y, label, color? }]`.
 * @param {{ title: string, xLabel?: string, yLabel?: string, series: { name: string, points: number[][], color?: string }[], hlines?: HLine[], width?: number, height?: number, yLog?: boolean, yFormat?: NumberFormat, xFormat?: NumberFormat, xMin?: number, xMax?: number }} options
 * @returns {Panel}
 */
export function lineChart({
  title,
  xLabel,
  yLabel,
  series,
  hlines = [],
  width = 820,
  height = 340,
  yLog = false,
  yFormat,
  xFormat = formatNumber,
  xMin,
  xMax: xMaxOption,
}) {
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...series.flatMap((s) => s.points.map((p) => p[1])), ...hlines.map((h) => h.y)];
  const xLo = xMin ?? (xs.length ? Math.min(...xs) : 0);
  const xMax = xMaxOption ?? (xs.length ? Math.max(...xs) : 1);
  const xt = linearTicks(xLo, xMax === xLo ? xLo + 1 : xMax, 8);
  const xMap = (x) => MARGIN.left + ((x - xt.lo) / (xt.hi - xt.lo)) * plotW;
  const { ticks, map } = yScale({ values: ys, log: yLog });
  const parts = frame({ width, height, title, yLabel, xLabel, ticks, map, plotW, plotH, yFormat });
  for (const t of xt.ticks) {
    const x = xMap(t);
    parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" stroke="#6b7280"/>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${MARGIN.top + plotH + 17}" text-anchor="middle" font-size="11" fill="#374151" ${FONT}>${esc(xFormat(t))}</text>`);
  }
  const colors = series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]);
  for (const [i, h] of hlines.entries()) {
    const y = MARGIN.top + map(h.y, plotH);
    const color = h.color ?? '#6b7280';
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${color}" stroke-dasharray="6 4"/>`);
    parts.push(
      `<text x="${MARGIN.left + plotW - 4}" y="${(y - 4 - i * 0).toFixed(1)}" text-anchor="end" font-size="11" fill="${color}" ${FONT}>${esc(h.label)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!yLog || p[1] > 0));
    if (pts.length === 0) return;
    const d = pts.map((p, k) => `${k === 0 ? 'M' : 'L'}${xMap(p[0]).toFixed(1)},${(MARGIN.top + map(p[1], plotH)).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${colors[i]}" stroke-width="2" stroke-linejoin="round"/>`);
    if (pts.length <= 40) {
      for (const p of pts) parts.push(`<circle cx="${xMap(p[0]).toFixed(1)}" cy="${(MARGIN.top + map(p[1], plotH)).toFixed(1)}" r="2.5" fill="${colors[i]}"/>`);
    }
  });
  if (series.length > 1)
    parts.push(
      ...legend(
        series.map((s) => s.name),
        colors,
        MARGIN.left + 10,
        MARGIN.top + 12,
      ),
    );
  return { width, height, body: parts.join('\n') };
}

/**
 * A grouped bar chart panel. `categories`: x labels; `series`:
 * `[{ name, values: [per category], color? }]`. Values are printed on the bars.
 * @param {{ title: string, yLabel?: string, xLabel?: string, categories: string[], series: { name: string, values: number[], color?: string, colors?: string[] }[], width?: number, height?: number, yLog?: boolean, yFormat?: NumberFormat, valueFormat?: NumberFormat, hlines?: HLine[] }} options
 * @returns {Panel}
 */
export function barChart({
  title,
  yLabel,
  xLabel,
  categories,
  series,
  width = 820,
  height = 340,
  yLog = false,
  yFormat,
  valueFormat = formatNumber,
  hlines = [],
}) {
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const values = [...series.flatMap((s) => s.values), ...hlines.map((h) => h.y)];
  const { ticks, map } = yScale({ values, log: yLog });
  const parts = frame({ width, height, title, yLabel, xLabel, ticks, map, plotW, plotH, yFormat });
  const colors = series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]);
  const groupW = plotW / Math.max(1, categories.length);
  const barW = Math.min(70, (groupW * 0.75) / Math.max(1, series.length));
  const base = MARGIN.top + plotH;
  categories.forEach((cat, c) => {
    const groupX = MARGIN.left + c * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, i) => {
      const v = s.values[c];
      if (v === undefined || v === null || !Number.isFinite(v) || (yLog && v <= 0)) return;
      const y = MARGIN.top + map(v, plotH);
      const x = groupX + i * barW;
      const color = s.colors?.[c] ?? colors[i];
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${Math.max(0, base - y).toFixed(1)}" fill="${color}"/>`,
      );
      parts.push(
        `<text x="${(x + (barW - 2) / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="10.5" fill="#111827" ${FONT}>${esc(valueFormat(v))}</text>`,
      );
    });
    const lines = String(cat).split('\n');
    lines.forEach((line, k) => {
      parts.push(
        `<text x="${(MARGIN.left + c * groupW + groupW / 2).toFixed(1)}" y="${base + 16 + k * 13}" text-anchor="middle" font-size="11" fill="#374151" ${FONT}>${esc(line)}</text>`,
      );
    });
  });
  for (const h of hlines) {
    const y = MARGIN.top + map(h.y, plotH);
    const color = h.color ?? '#6b7280';
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${color}" stroke-dasharray="6 4"/>`);
    parts.push(
      `<text x="${MARGIN.left + plotW - 4}" y="${(y - 4).toFixed(1)}" text-anchor="end" font-size="11" fill="${color}" ${FONT}>${esc(h.label)}</text>`,
    );
  }
  if (series.length > 1)
    parts.push(
      ...legend(
        series.map((s) => s.name),
        colors,
        MARGIN.left + 10,
        MARGIN.top + 12,
      ),
    );
  return { width, height, body: parts.join('\n') };
}

/** Stacks panels vertically into one SVG document, with an optional caption line at the bottom. */
/**
 * @param {Panel[]} panels
 * @param {{ caption?: string }} [options]
 */
export function svgDocument(panels, { caption } = {}) {
  const width = Math.max(...panels.map((p) => p.width));
  let y = 0;
  const groups = panels.map((p) => {
    const g = `<g transform="translate(0 ${y})">\n${p.body}\n</g>`;
    y += p.height;
    return g;
  });
  const captionH = caption ? 24 : 0;
  const cap = caption ? `<text x="8" y="${y + 16}" font-size="11" fill="#6b7280" ${FONT}>${esc(caption)}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + captionH}" viewBox="0 0 ${width} ${y + captionH}">\n<rect width="100%" height="100%" fill="#ffffff"/>\n${groups.join('\n')}\n${cap}\n</svg>\n`;
}
