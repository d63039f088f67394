// A line chart as hand-written SVG: one line per series over the same x labels. Small enough that
// a charting library (and its bundle weight) is not worth it for one daily-balance chart.
import { escapeHtml } from './api';

export interface Series {
  name: string;
  values: number[];
}

const COLORS = ['#2680c2', '#e12d39', '#3ebd93', '#f0b429', '#724bb7'];

export function lineChart(labels: string[], series: Series[], format: (name: string, v: number) => string): string {
  const [w, h, pad] = [600, 220, 36];
  const all = series.flatMap((s) => s.values);
  const [min, max] = [Math.min(0, ...all), Math.max(1, ...all)];
  const x = (i: number) => pad + (labels.length < 2 ? 0 : (i * (w - 2 * pad)) / (labels.length - 1));
  const y = (v: number) => h - pad - ((v - min) / (max - min || 1)) * (h - 2 * pad);
  const lines = series
    .map((s, k) => {
      const color = COLORS[k % COLORS.length]!;
      const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      const dots = s.values
        .map(
          (v, i) =>
            `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${color}"><title>${escapeHtml(`${labels[i]}: ${format(s.name, v)}`)}</title></circle>`,
        )
        .join('');
      return `<polyline class="series" data-series="${escapeHtml(s.name)}" fill="none" stroke="${color}" stroke-width="2" points="${points}" />${dots}`;
    })
    .join('');
  const legend = series.map((s, k) => `<tspan fill="${COLORS[k % COLORS.length]!}">■ ${escapeHtml(s.name)} </tspan>`).join('');
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="Closing balance per day: ${escapeHtml(series.map((s) => s.name).join(', '))}" style="width:100%;height:auto">
    <line x1="${pad}" y1="${y(0)}" x2="${w - pad}" y2="${y(0)}" stroke="#99a" />
    <text x="${pad}" y="14" font-size="12">${legend}</text>
    <text x="${pad}" y="${h - 8}" font-size="11">${escapeHtml(labels[0] ?? '')}</text>
    <text x="${w - pad}" y="${h - 8}" font-size="11" text-anchor="end">${escapeHtml(labels.at(-1) ?? '')}</text>
    ${lines}</svg>`;
}
