// Analytics: the figures of analytics-data.js as inline SVG charts a merchant reads at a glance,
// with the numbers written beside every bar (the chart is never the only way to read them).
import {loadFigures} from './analytics-data.js';
import {h} from './dom.js';
import {locale, t} from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** Horizontal bars: [{label, value}] scaled to the largest, each labelled with its number. */
export function barChart(title, bars, format = (n) => n) {
  const width = 560;
  const row = 34;
  const labelWidth = 170;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = bars.length * row + 8;
  return s(
    'svg',
    {viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}: ${bars.map((b) => `${b.label} ${format(b.value)}`).join(', ')}`, class: 'chart'},
    s('title', {}, title),
    ...bars.flatMap((b, i) => {
      const y = i * row + 4;
      const w = Math.round(((width - labelWidth - 90) * b.value) / max);
      return [
        s('text', {x: 0, y: y + 19, class: 'chart-label'}, b.label),
        s('rect', {x: labelWidth, y, width: Math.max(w, 2), height: row - 10, rx: 4, class: `bar ${b.kind || ''}`}),
        s('text', {x: labelWidth + Math.max(w, 2) + 8, y: y + 19, class: 'chart-value'}, format(b.value)),
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

export async function renderAnalytics(ctx, view) {
  const f = await loadFigures(ctx.api);
  const count = (n) => new Intl.NumberFormat(locale()).format(n);
  const revenue = f.revenue === null ? '—' : new Intl.NumberFormat(locale(), {style: 'currency', currency: f.currencyCode}).format(f.revenue);
  const unanswered = Math.max(0, f.shown - f.accepted - f.declined);
  const metric = (key, value, testid) => h('div', {class: 'metric'}, h('span', {class: 'metric-label'}, t(key)), h('span', {class: 'metric-value', 'data-testid': testid}, value));
  view.append(
    h('div', {class: 'page-header'}, h('h1', {}, t('analytics.title'))),
    h(
      'section',
      {class: 'metrics', 'aria-label': t('analytics.headline')},
      metric('analytics.revenue', revenue, 'revenue'),
      metric('analytics.accepted', count(f.accepted), 'accepted'),
      metric('analytics.shown', count(f.shown), 'shown'),
      metric('analytics.decisions', count(f.decisions), 'decisions'),
    ),
    h(
      'div',
      {class: 'two'},
      h(
        'section',
        {class: 'card'},
        h('h2', {}, t('analytics.funnel')),
        barChart(
          t('analytics.funnel'),
          [
            {label: t('analytics.decisions'), value: f.decisions},
            {label: t('analytics.offers'), value: f.offers},
            {label: t('analytics.shown'), value: f.shown},
            {label: t('analytics.accepted'), value: f.accepted, kind: 'good'},
          ],
          count,
        ),
      ),
      h(
        'section',
        {class: 'card'},
        h('h2', {}, t('analytics.conversion')),
        h('div', {class: 'ring-row'}, ring(t('analytics.conversion'), f.accepted, f.shown), h('p', {}, t('analytics.conversionText', {accepted: count(f.accepted), shown: count(f.shown)}))),
        barChart(
          t('analytics.answers'),
          [
            {label: t('analytics.accepted'), value: f.accepted, kind: 'good'},
            {label: t('analytics.declined'), value: f.declined, kind: 'bad'},
            {label: t('analytics.unanswered'), value: unanswered},
          ],
          count,
        ),
      ),
    ),
    h('p', {class: 'muted'}, t('analytics.later')),
  );
}
