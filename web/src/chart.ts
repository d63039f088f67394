// The ledger's daily-balance chart, drawn by uPlot (about 50 KB minified, no dependencies, canvas):
// one line per currency over the same days. This module owns the plot's life: one per element,
// destroyed when redrawn, resized with its container.
import uPlot from 'uplot';

export interface Series {
  name: string;
  values: number[];
}

/** An axis label in the currency's own format, short (R$ 1.2K). */
function axisMoney(currency: string, v: number): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 2 }).format(v);
  } catch {
    return String(v);
  }
}

const COLORS = ['#2680c2', '#e12d39', '#3ebd93', '#f0b429', '#724bb7'];
const plots = new WeakMap<HTMLElement, { plot: uPlot; resize: ResizeObserver }>();

/**
 * Draws `series` over `days` (YYYY-MM-DD) into `el`, replacing what was there. `format` writes a
 * value of a series for people (the legend shows the hovered day's balances with it). `el` gets
 * `data-series` (the currencies shown) and an accessible name listing them.
 */
export function balanceChart(el: HTMLElement, days: string[], series: Series[], format: (name: string, v: number) => string): void {
  const old = plots.get(el);
  old?.resize.disconnect();
  old?.plot.destroy();
  el.replaceChildren();
  el.dataset.series = series.map((s) => s.name).join(',');
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', `Closing balance per day, ${days[0] ?? ''} to ${days.at(-1) ?? ''}: ${series.map((s) => s.name).join(', ')}`);
  const width = () => Math.max(240, el.clientWidth || 600);
  const opts: uPlot.Options = {
    width: width(),
    height: 220,
    // Days at UTC midnight, labelled as such whatever the reader's zone.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
    scales: { x: { time: true } },
    series: [
      { label: 'Day', value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toISOString().slice(0, 10)) },
      ...series.map((s, k) => ({
        label: s.name,
        stroke: COLORS[k % COLORS.length]!,
        width: 2,
        points: { show: true, size: 5 },
        value: (_u: uPlot, v: number | null) => (v == null ? '—' : format(s.name, v)),
      })),
    ],
    // One currency per chart: its axis is in its money (R$ 20, $3.50); several share a unitless one.
    axes: [
      {},
      {
        size: 80,
        values: (_u, ticks) => {
          const labels = ticks.map((v) =>
            series.length === 1 ? axisMoney(series[0]!.name, v) : Intl.NumberFormat(undefined, { notation: 'compact' }).format(v),
          );
          // The labels are drawn on the canvas; kept here too (for tests and tools that read the DOM).
          el.dataset.yTicks = labels.join(' | ');
          return labels;
        },
      },
    ],
  };
  const data: uPlot.AlignedData = [days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000), ...series.map((s) => s.values)];
  const plot = new uPlot(opts, data, el);
  // Follows its card's width (phone rotation, a resized window).
  const resize = new ResizeObserver(() => {
    if (Math.abs(plot.width - width()) > 4) plot.setSize({ width: width(), height: 220 });
  });
  resize.observe(el);
  plots.set(el, { plot, resize });
}
