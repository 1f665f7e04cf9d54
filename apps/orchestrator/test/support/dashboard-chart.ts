import type { Page } from 'playwright-core';
import { waitFor } from '@userstream/core';
import type { HistoryView } from '../../src/history/pipeline-history.service';

/** Keeps the newest /api/pipeline/history answer the page received: what its charts are drawn from. */
export function watchHistory(page: Page): () => HistoryView | undefined {
  let newest: HistoryView | undefined;
  const lastT = (view: HistoryView | undefined) => view?.samples.t.at(-1) ?? -Infinity;
  page.on('response', (response) => {
    if (!/\/api\/pipeline\/history\?/.test(response.url()) || !response.ok()) return;
    void response.json().then(
      (body: HistoryView) => {
        if (lastT(body) >= lastT(newest)) newest = body;
      },
      () => undefined,
    );
  });
  return () => newest;
}

/** The records/s chart as drawn: the "in" points (all its polylines, in order) and the y labels, bottom to top. */
interface DrawnChart {
  points: Array<[number, number]>;
  yLabels: string[];
  height: number;
}

function readChart(page: Page): Promise<DrawnChart> {
  return page.evaluate(() => {
    const chart = document.querySelector('#chart') as SVGSVGElement;
    const points = Array.from(chart.querySelectorAll('polyline.series.in')).flatMap((line) =>
      (line.getAttribute('points') ?? '').split(' ').map((p) => p.split(',').map(Number) as [number, number]),
    );
    const yLabels = Array.from(chart.querySelectorAll('text.axis-label.y')).map((t) => t.textContent ?? '');
    return { points, yLabels, height: chart.viewBox.baseVal.height };
  });
}

/** "1,234" · "12.5k" · "3.4M" back to a number. */
function axisValue(label: string): number {
  const scale = label.endsWith('M') ? 1e6 : label.endsWith('k') ? 1e3 : 1;
  return Number(label.replace(/[,kM]/g, '')) * scale;
}

/** The chart's geometry (dashboard.js drawChart): 10 px above the plot, 22 px below. */
const PLOT_TOP = 10;
const PLOT_BOTTOM = 22;

/**
 * Waits until the records/s chart shows exactly the history the page last
 * received, with at least `minPoints` points on the "in" line: one point per
 * known inPerSec sample, left to right, each at the height of its value on
 * the chart's own y axis (round labels from 0, the top covering the largest
 * value drawn). Returns the history it matched.
 */
export async function waitForChartOfHistory(
  page: Page,
  newestHistory: () => HistoryView | undefined,
  minPoints: number,
  timeoutMs: number,
): Promise<HistoryView> {
  let seen = '';
  const { history, chart } = await waitFor(
    async () => {
      const history = newestHistory();
      const chart = await readChart(page);
      const values = (history?.samples.inPerSec ?? []).filter((v): v is number => v !== null);
      seen = `${chart.points.length} points drawn, ${values.length} known samples of ${history?.samples.t.length ?? 0}`;
      if (!history || values.length < minPoints || chart.points.length !== values.length) return undefined;
      const top = axisValue(chart.yLabels.at(-1) ?? '');
      const y = (v: number) => PLOT_TOP + (1 - v / top) * (chart.height - PLOT_TOP - PLOT_BOTTOM);
      // A new sample may have arrived between the page's render and this read: then try again.
      return chart.points.every(([, py], i) => Math.abs(py - y(values[i])) <= 0.051) ? { history, chart } : undefined;
    },
    { timeoutMs, intervalMs: 250, description: `the records/s chart to draw the history's ${minPoints}+ samples` },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message} (last seen: ${seen})`);
  });
  const xs = chart.points.map(([x]) => x);
  expect(xs).toEqual([...xs].sort((a, b) => a - b));
  expect(new Set(xs).size).toBe(xs.length);
  expect(chart.yLabels.length).toBeGreaterThanOrEqual(3);
  expect(chart.yLabels[0]).toBe('0');
  expect(new Set(chart.yLabels).size).toBe(chart.yLabels.length);
  const drawn = [...history.samples.inPerSec, ...history.samples.outPerSec].filter((v): v is number => v !== null);
  const max = Math.max(0, ...drawn);
  const top = axisValue(chart.yLabels.at(-1) ?? '');
  expect(top).toBeGreaterThanOrEqual(max);
  if (max > 0) expect(top).toBeLessThan(1.5 * max);
  return history;
}
