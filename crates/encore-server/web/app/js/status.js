// Store status: the shop, its currency and live configuration, the synced catalog, and the
// offer Function's runs from /metrics when this session may read them.
import {h} from './dom.js';
import {t} from './i18n.js';

/** Sums of `name{labels} value` lines of a Prometheus text by one label's value. */
export function sumByLabel(text, name, label) {
  const out = new Map();
  const re = new RegExp(`^${name}\\{([^}]*)\\}\\s+(\\S+)`, 'gm');
  for (const m of text.matchAll(re)) {
    const value = new RegExp(`${label}="([^"]*)"`).exec(m[1])?.[1] ?? '';
    out.set(value, (out.get(value) || 0) + Number(m[2]));
  }
  return out;
}

export async function renderStatus(ctx, view) {
  const [shop, catalog, metrics] = await Promise.all([ctx.api.shopInfo(), ctx.api.catalog().catch(() => null), ctx.api.metrics().catch(() => null)]);
  const variants = catalog ? catalog.products.reduce((n, p) => n + p.variants.length, 0) : null;
  const row = (key, value) => h('div', {class: 'kv'}, h('dt', {}, t(key)), h('dd', {}, value));
  const runs = metrics ? sumByLabel(metrics, 'encore_function_runs_total', 'outcome') : null;
  view.append(
    h('div', {class: 'page-header'}, h('h1', {}, t('status.title'))),
    h(
      'section',
      {class: 'card'},
      h(
        'dl',
        {},
        row('status.shop', shop.shop),
        row('status.currency', shop.currencyCode),
        row('status.configVersion', shop.configVersion ?? t('status.noConfig')),
        row('status.defaultCap', shop.defaultMaxOfferPrice ? `${shop.defaultMaxOfferPrice} ${shop.currencyCode}` : t('status.noDefaultCap')),
        row('status.catalog', catalog ? t('status.catalogCounts', {products: catalog.products.length, variants}) : '—'),
      ),
    ),
    h(
      'section',
      {class: 'card'},
      h('h2', {}, t('status.function')),
      runs
        ? h('dl', {}, ['offer', 'no_offer', 'failed'].map((k) => row(`status.runs.${k}`, String(runs.get(k) || 0))))
        : h('p', {class: 'muted'}, t('status.metricsUnavailable')),
    ),
  );
}
