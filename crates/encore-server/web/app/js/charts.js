// Inline SVG charts with their numbers written on them and an aria-label that reads them out: a
// chart is never the only way to read a figure. Values are plain numbers for drawing (amounts
// arrive as BigInt minor units and are drawn as Number ratios; the labels use the exact format).
import {locale} from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const num = (v) => (typeof v === 'bigint' ? Number(v) : v);

/**
 * Horizontal bars: [{label, value, kind?, mark?, text?}] scaled to the largest value (or `max`),
 * each labelled with `text` or `format(value)`. `mark` draws a dashed line at that value on its
 * own row (a threshold); `markLabel` names it in the aria-label.
 */
export function barChart(title, bars, format = (n) => n, {max, markLabel} = {}) {
  const row = 34;
  const shown = (b) => b.text ?? format(b.value);
  // Room for the longest label and value (about 7 units a character at the chart's font size).
  const room = (texts, least, most) => Math.min(most, Math.max(least, 12 + 7 * Math.max(0, ...texts.map((x) => String(x).length))));
  const labelWidth = room(bars.map((b) => b.label), 120, 330);
  const valueWidth = room(bars.map(shown), 60, 220);
  const span = 280;
  const width = labelWidth + span + valueWidth;
  const top = Math.max(1e-9, num(max ?? 0), ...bars.map((b) => num(b.value)), ...bars.map((b) => num(b.mark ?? 0)));
  const x = (v) => labelWidth + Math.round((span * Math.max(0, num(v))) / top);
  const height = bars.length * row + 8;
  const spoken = bars.map((b) => `${b.label} ${shown(b)}${b.mark !== undefined && markLabel ? ` (${markLabel} ${format(b.mark)})` : ''}`).join(', ');
  return s(
    'svg',
    {viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}: ${spoken}`, class: 'chart bars', style: `max-width: ${width * 1.15}px`},
    s('title', {}, title),
    bars.map((b, i) => {
      const y = i * row + 4;
      const w = Math.max(x(b.value) - labelWidth, 2);
      return [
        s('text', {x: 0, y: y + 19, class: 'chart-label'}, b.label),
        s('rect', {x: labelWidth, y, width: w, height: row - 10, rx: 4, class: `bar ${b.kind || ''}`}),
        b.mark !== undefined ? s('line', {x1: x(b.mark), x2: x(b.mark), y1: y - 3, y2: y + row - 7, class: 'mark'}) : null,
        s('text', {x: labelWidth + Math.max(w, b.mark !== undefined ? x(b.mark) - labelWidth : 0) + 8, y: y + 19, class: 'chart-value'}, shown(b)),
      ];
    }),
  );
}

/** A share as a ring: `part` of `whole`, the percentage in the middle. */
export function ring(title, part, whole) {
  const r = 42;
  const c = 2 * Math.PI * r;
  const share = whole > 0 ? part / whole : 0;
  const percent = new Intl.NumberFormat(locale(), {style: 'percent', maximumFractionDigits: 1}).format(share);
  return s(
    'svg',
    {viewBox: '0 0 120 120', role: 'img', 'aria-label': `${title}: ${percent}`, class: 'ring'},
    s('title', {}, title),
    s('circle', {cx: 60, cy: 60, r, class: 'ring-track'}),
    s('circle', {cx: 60, cy: 60, r, class: 'ring-value', 'stroke-dasharray': `${(share * c).toFixed(2)} ${c.toFixed(2)}`, transform: 'rotate(-90 60 60)'}),
    s('text', {x: 60, y: 66, 'text-anchor': 'middle', class: 'ring-text'}, percent),
  );
}

/**
 * Columns over time: `points` [{day, ...}] and `series` [{key, label, kind}] drawn side by side
 * per day; the axis names the first, middle and last days and the top value. The aria-label
 * gives each series' total (`total(key)`) and the table beside the chart gives every day.
 * `width`: the chart's units across, about the pixels it gets (so its text stays readable).
 */
export function timeChart(title, points, series, format, total, {width = 720} = {}) {
  const height = 220;
  const left = 8;
  const bottom = 24;
  const top = 18;
  const plot = height - bottom - top;
  const max = Math.max(1e-9, ...points.flatMap((p) => series.map((k) => num(p[k.key]))));
  const slot = (width - left) / Math.max(points.length, 1);
  const bar = Math.max(1, (slot * 0.8) / series.length);
  const spoken = series.map((k) => `${k.label} ${format(total(k.key))}`).join(', ');
  const ticks = new Set([0, Math.floor((points.length - 1) / 2), points.length - 1]);
  return s(
    'svg',
    {viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title} (${points[0]?.day} – ${points.at(-1)?.day}): ${spoken}`, class: 'chart time'},
    s('title', {}, title),
    s('line', {x1: left, x2: width, y1: top + plot, y2: top + plot, class: 'axis'}),
    s('text', {x: left, y: 12, class: 'chart-value'}, format(points.reduce((m, p) => series.reduce((n, k) => (num(p[k.key]) > num(n) ? p[k.key] : n), m), 0))),
    points.map((p, i) => [
      series.map((k, j) => {
        const v = Math.max(0, num(p[k.key]));
        const h = Math.round((plot * v) / max);
        return s('rect', {x: left + i * slot + slot * 0.1 + j * bar, y: top + plot - h, width: bar, height: Math.max(h, v > 0 ? 1 : 0), class: `bar ${k.kind || ''}`}, s('title', {}, `${p.day} ${k.label}: ${format(p[k.key])}`));
      }),
      ticks.has(i) ? s('text', {x: left + i * slot + slot / 2, y: height - 6, 'text-anchor': i === 0 ? 'start' : i === points.length - 1 ? 'end' : 'middle', class: 'chart-label'}, p.day) : null,
    ]),
  );
}
