// Analytics: GET /api/analytics over a chosen range of UTC days, as charts a merchant reads at a
// glance — revenue and net of refunds over time, conversion, refund rate per offer against its
// pause threshold, AOV lift, the funnel, experiments with their verdict — each with its numbers.
import {loadReport} from './analytics-data.js';
import {barChart, ring, timeChart} from './charts.js';
import {field, h, put} from './dom.js';
import {locale, t} from './i18n.js';
import {formatMoney} from './money.js';

/** A p-value under this is called a difference (two-sided, decided before looking). */
const SIGNIFICANCE = 0.05;

const count = (n) => new Intl.NumberFormat(locale()).format(n);
const percent = (ratio) => (ratio === null || ratio === undefined ? '—' : new Intl.NumberFormat(locale(), {style: 'percent', maximumFractionDigits: 1}).format(ratio));

/** The range in the address (?from=&to=), so a reload or a shared link keeps it. */
function rangeOfAddress() {
  const q = new URLSearchParams(location.search);
  return {from: q.get('from') || undefined, to: q.get('to') || undefined};
}

function setAddressRange({from, to}) {
  const q = new URLSearchParams(location.search);
  q.set('from', from);
  q.set('to', to);
  history.replaceState(history.state, '', `${location.pathname}?${q}`);
}

/** `to` and the day `days − 1` before it, as YYYY-MM-DD. */
export function lastDays(days, to = new Date().toISOString().slice(0, 10)) {
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * 86400000).toISOString().slice(0, 10);
  return {from, to};
}

/** Offers each arm shows before the server compares it (analytics.rs MIN_SHOWN_PER_ARM). */
const MIN_SHOWN_PER_ARM = 100;

/**
 * One experiment comparison in words: not enough data (with the fewest offers an arm has shown),
 * a difference, or no clear one.
 */
export function verdict(comparison, {armId, controlArmId}, format, fewest = 0) {
  if (comparison.status === 'notEnoughData') return {kind: 'muted', text: t('analytics.exp.notEnough', {min: MIN_SHOWN_PER_ARM, fewest: count(fewest)})};
  const p = new Intl.NumberFormat(locale(), {maximumSignificantDigits: 2}).format(comparison.pValue);
  if (comparison.pValue < SIGNIFICANCE) {
    return {kind: comparison.difference > 0 ? 'good' : 'bad', text: t(comparison.difference > 0 ? 'analytics.exp.better' : 'analytics.exp.worse', {arm: armId, control: controlArmId, difference: format(comparison.difference), p})};
  }
  return {kind: 'muted', text: t('analytics.exp.noDifference', {arm: armId, control: controlArmId, p})};
}

function metric(key, value, testid) {
  return h('div', {class: 'metric'}, h('span', {class: 'metric-label'}, t(key)), h('span', {class: 'metric-value', 'data-testid': testid}, value));
}

function rangeForm(current, onRange) {
  const from = h('input', {type: 'date', name: 'from', value: current.from, required: true});
  const to = h('input', {type: 'date', name: 'to', value: current.to, required: true});
  const preset = (days) => h('button', {type: 'button', onClick: () => onRange(lastDays(days))}, t('analytics.range.last', {days}));
  return h(
    'form',
    {
      class: 'card range',
      'aria-label': t('analytics.range'),
      onSubmit: (e) => {
        e.preventDefault();
        onRange({from: from.value, to: to.value});
      },
    },
    field(t('analytics.range.from'), from),
    field(t('analytics.range.to'), to),
    h('button', {type: 'submit', class: 'primary'}, t('analytics.range.show')),
    h('div', {class: 'presets'}, preset(7), preset(30), preset(90)),
  );
}

function renderReport(r, money) {
  const total = r.totals;
  const offerName = (o) => `${o.campaignId} · ${o.stepId}`;
  const dayTable = h(
    'details',
    {},
    h('summary', {}, t('analytics.byDay')),
    h(
      'table',
      {class: 'table'},
      h('thead', {}, h('tr', {}, ['analytics.day', 'analytics.shown', 'analytics.accepted', 'analytics.revenue', 'analytics.refunded', 'analytics.net'].map((k) => h('th', {scope: 'col'}, t(k))))),
      h(
        'tbody',
        {},
        r.days
          .filter((d) => d.shown > 0)
          .map((d) => h('tr', {}, h('td', {}, d.day), h('td', {class: 'num'}, count(d.shown)), h('td', {class: 'num'}, count(d.accepted)), h('td', {class: 'num'}, money(d.revenue)), h('td', {class: 'num'}, money(d.refunded)), h('td', {class: 'num'}, money(d.net)))),
      ),
    ),
  );
  const sum = (key) => r.days.reduce((n, d) => n + d[key], typeof r.days[0]?.[key] === 'bigint' ? 0n : 0);
  return [
    h(
      'section',
      {class: 'metrics', 'aria-label': t('analytics.headline')},
      metric('analytics.net', money(total.net), 'net'),
      metric('analytics.revenue', money(total.revenue), 'revenue'),
      metric('analytics.refunded', money(total.refunded), 'refunded'),
      metric('analytics.conversion', percent(total.conversionRate), 'conversion'),
      metric('analytics.accepted', count(total.accepted), 'accepted'),
      metric('analytics.shown', count(total.shown), 'shown'),
    ),
    total.pending + total.unconfirmed > 0
      ? h('p', {class: 'banner info', 'data-testid': 'unconfirmed'}, t('analytics.notRevenue', {pending: count(total.pending), unconfirmed: count(total.unconfirmed), minutes: r.windowMinutes}))
      : null,
    h(
      'section',
      {class: 'card'},
      h('h2', {}, t('analytics.overTime')),
      timeChart(t('analytics.overTime'), r.days, [{key: 'revenue', label: t('analytics.revenue')}, {key: 'net', label: t('analytics.net'), kind: 'good'}], money, sum, {width: 1040}),
      h('p', {class: 'legend'}, h('span', {class: 'key'}), t('analytics.revenue'), ' ', h('span', {class: 'key good'}), t('analytics.net')),
      dayTable,
    ),
    h(
      'div',
      {class: 'two'},
      h(
        'section',
        {class: 'card'},
        h('h2', {}, t('analytics.conversion')),
        h('div', {class: 'ring-row'}, ring(t('analytics.conversion'), total.accepted, total.shown), h('p', {}, t('analytics.conversionText', {accepted: count(total.accepted), shown: count(total.shown)}))),
        timeChart(t('analytics.shownAccepted'), r.days, [{key: 'shown', label: t('analytics.shown')}, {key: 'accepted', label: t('analytics.accepted'), kind: 'good'}], count, sum, {width: 500}),
        barChart(
          t('analytics.answers'),
          [
            {label: t('analytics.accepted'), value: total.accepted, kind: 'good'},
            {label: t('analytics.declined'), value: total.declined, kind: 'bad'},
            {label: t('analytics.unanswered'), value: Math.max(0, total.shown - total.accepted - total.declined)},
          ],
          count,
        ),
      ),
      h(
        'section',
        {class: 'card'},
        h('h2', {}, t('analytics.aov')),
        ...[
          ['withConfirmedOffer', 'analytics.aov.withConfirmed'],
          ['shownAnOffer', 'analytics.aov.shown'],
        ].map(([key, label]) => {
          const l = r.aov[key];
          return h(
            'div',
            {class: 'aov', 'data-testid': `aov-${key}`},
            h('h3', {}, t(label, {purchases: count(l.purchases)})),
            l.purchases > 0
              ? [
                  barChart(t(label, {purchases: count(l.purchases)}), [{label: t('analytics.aov.before'), value: l.before}, {label: t('analytics.aov.after'), value: l.after, kind: 'good'}], money),
                  h('p', {}, t('analytics.aov.lift', {lift: percent(l.lift)})),
                ]
              : h('p', {class: 'muted'}, t('analytics.none')),
          );
        }),
        r.aov.otherCurrency > 0 ? h('p', {class: 'muted'}, t('analytics.aov.otherCurrency', {count: count(r.aov.otherCurrency)})) : null,
      ),
    ),
    h(
      'section',
      {class: 'card', 'data-testid': 'refund-rates'},
      h('h2', {}, t('analytics.refundRate')),
      r.offers.length
        ? [
            barChart(
              t('analytics.refundRate'),
              r.offers.map((o) => ({
                label: offerName(o),
                value: o.refundRate ?? 0,
                text: o.refundRate === null ? t('analytics.noRate') : undefined,
                mark: o.guardrail.percent / 100,
                kind: o.refundRate !== null && o.refundRate * 100 > o.guardrail.percent ? 'bad' : 'good',
              })),
              percent,
              {markLabel: t('analytics.pauseAt')},
            ),
            h('p', {class: 'legend'}, h('span', {class: 'key mark'}), t('analytics.pauseLegend')),
            h(
              'table',
              {class: 'table'},
              h('thead', {}, h('tr', {}, ['analytics.offer', 'analytics.accepted', 'analytics.confirmedUnits', 'analytics.refundedUnits', 'analytics.refundRate', 'analytics.pauseAt'].map((k) => h('th', {scope: 'col'}, t(k))))),
              h(
                'tbody',
                {},
                r.offers.map((o) =>
                  h(
                    'tr',
                    {'data-offer': `${o.campaignId}/${o.stepId}`},
                    h('td', {}, offerName(o)),
                    h('td', {class: 'num'}, count(o.accepted)),
                    h('td', {class: 'num'}, count(o.confirmedUnits)),
                    h('td', {class: 'num'}, count(o.refundedUnits)),
                    h('td', {class: 'num'}, o.refundRate === null ? '—' : percent(o.refundRate)),
                    h('td', {class: 'num'}, t('analytics.pauseRule', {percent: percent(o.guardrail.percent / 100), accepts: count(o.guardrail.minAccepts)})),
                  ),
                ),
              ),
            ),
          ]
        : h('p', {class: 'muted'}, t('analytics.none')),
    ),
    h(
      'section',
      {class: 'card', 'data-testid': 'funnel'},
      h('h2', {}, t('analytics.funnel')),
      r.funnel.length
        ? barChart(
            t('analytics.funnel'),
            r.funnel.map((f) => ({
              label: `${f.campaignId} · ${f.fromStepId} ${t(`analytics.outcome.${f.outcome}`)} → ${f.toStepId ?? t('analytics.funnelEnd')}`,
              value: f.purchases,
              kind: f.outcome === 'accepted' ? 'good' : f.outcome === 'declined' ? 'bad' : '',
            })),
            count,
          )
        : h('p', {class: 'muted'}, t('analytics.none')),
    ),
    h(
      'section',
      {class: 'card', 'data-testid': 'experiments'},
      h('h2', {}, t('analytics.experiments')),
      r.experiments.length
        ? r.experiments.map((e) =>
            h(
              'div',
              {class: 'experiment', 'data-experiment': e.id},
              h('h3', {}, e.id),
              h(
                'table',
                {class: 'table'},
                h('thead', {}, h('tr', {}, ['analytics.arm', 'analytics.shown', 'analytics.accepted', 'analytics.conversion', 'analytics.perShown'].map((k) => h('th', {scope: 'col'}, t(k))))),
                h('tbody', {}, e.arms.map((a) => h('tr', {}, h('td', {}, a.armId), h('td', {class: 'num'}, count(a.shown)), h('td', {class: 'num'}, count(a.accepted)), h('td', {class: 'num'}, percent(a.conversionRate)), h('td', {class: 'num'}, a.perShown === null ? '—' : money(a.perShown))))),
              ),
              h(
                'ul',
                {class: 'verdicts'},
                e.comparisons.flatMap((c) => {
                  const fewest = Math.min(...e.arms.filter((a) => a.armId === c.armId || a.armId === c.controlArmId).map((a) => a.shown));
                  return [
                    ['analytics.exp.conversion', verdict(c.conversion, c, (d) => `${d > 0 ? '+' : ''}${percent(d)}`, fewest)],
                    ['analytics.exp.revenue', verdict(c.revenuePerOfferShown, c, (d) => `${d > 0 ? '+' : ''}${money(BigInt(Math.trunc(d)))}`, fewest)],
                  ];
                }).map(([key, v]) => h('li', {class: v.kind}, h('strong', {}, t(key)), ' ', v.text)),
              ),
            ),
          )
        : h('p', {class: 'muted'}, t('analytics.noExperiments')),
    ),
  ];
}

export async function renderAnalytics(ctx, view) {
  const content = h('div', {'aria-live': 'polite'});
  const show = async (range) => {
    const r = await loadReport(ctx.api, range);
    const money = (minor) => (minor === null ? '—' : formatMoney(minor, r.currency.code, r.currency.exponent, locale()));
    put(content, rangeForm({from: r.from, to: r.to}, change), h('p', {class: 'muted'}, t('analytics.rangeShown', {from: r.from, to: r.to, currency: r.currency.code})), renderReport(r, money));
    return r;
  };
  const change = async (range) => {
    try {
      const r = await show(range);
      setAddressRange(r);
    } catch (error) {
      ctx.toast(t('common.loadFailed', {message: error.message}), true);
    }
  };
  view.append(h('div', {class: 'page-header'}, h('h1', {}, t('analytics.title'))), content);
  await show(rangeOfAddress());
}
