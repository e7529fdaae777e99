// Store status: the shop, its currency and live configuration; the catalog sync's state and
// progress (GET /api/sync/status, "Sync now" POSTs /api/sync and follows it); webhooks health
// per topic and the offer Function's recent runs for this shop (GET /api/store-health).
import {barChart} from './charts.js';
import {h, put} from './dom.js';
import {locale, t} from './i18n.js';
import {formatMoney, parseMinor} from './money.js';

const count = (n) => new Intl.NumberFormat(locale()).format(n);
/** Unix seconds or RFC 3339 as a local date and time. */
const when = (at) => (at === null || at === undefined ? '—' : new Intl.DateTimeFormat(locale(), {dateStyle: 'medium', timeStyle: 'short'}).format(typeof at === 'number' ? new Date(at * 1000) : new Date(at)));

/** A sync's progress as a share: variants read of the objects Shopify announced, when known. */
export function syncProgress(run) {
  if (!run) return null;
  if (run.state === 'complete') return 1;
  if (!run.expectedObjects) return null;
  return Math.min(1, run.lines / run.expectedObjects);
}

/** Encore's default cap in the shop currency, formatted like every other amount ("$50.00", "¥7,500"). */
function defaultCap(shop) {
  const exponent = shop.currencyExponent ?? 2;
  const minor = parseMinor(shop.defaultMaxOfferPrice, exponent);
  return minor === null ? null : formatMoney(minor, shop.currencyCode, exponent, locale());
}

const row = (key, value, testid) => h('div', {class: 'kv'}, h('dt', {}, t(key)), h('dd', {'data-testid': testid}, value));

function syncCard(ctx, status, onSync) {
  const run = status.latest;
  const progress = syncProgress(run);
  return [
    h('h2', {}, t('status.sync')),
    h(
      'dl',
      {},
      row('status.sync.state', run ? h('span', {class: `badge ${run.state === 'complete' ? 'active' : run.state === 'failed' ? 'paused' : 'warning'}`}, t(`status.sync.${run.state}`)) : t('status.sync.never'), 'sync-state'),
      row('status.sync.live', t('status.catalogCounts', {products: count(status.liveProducts), variants: count(status.liveVariants)}), 'sync-live'),
      row('status.sync.lastComplete', when(status.lastCompleteAt)),
      run ? row('status.sync.read', t('status.sync.readCounts', {products: count(run.products), variants: count(run.variants), skipped: count(run.skipped), malformed: count(run.malformed), rate: count(run.variantsPerSecond)})) : null,
      run?.error ? row('status.sync.error', h('span', {class: 'critical-text'}, run.error)) : null,
    ),
    progress !== null && run.state !== 'complete'
      ? h('progress', {max: 100, value: Math.round(progress * 100), 'aria-label': t('status.sync.progress')}, `${Math.round(progress * 100)}%`)
      : null,
    h('div', {class: 'row-actions'}, h('button', {type: 'button', disabled: run && (run.state === 'running' || run.state === 'waiting'), onClick: onSync}, t('status.sync.now'))),
  ];
}

function webhooksCard(health) {
  const quiet = health.webhooks.filter((w) => w.received === 0 && w.failures === 0).length;
  return [
    h('h2', {}, t('status.webhooks')),
    h('p', {class: 'muted'}, t('status.webhooks.intro', {days: health.webhookWindowDays})),
    h(
      'table',
      {class: 'table', 'data-testid': 'webhooks'},
      h('thead', {}, h('tr', {}, ['status.webhooks.topic', 'status.webhooks.last', 'status.webhooks.received', 'status.webhooks.failures'].map((k) => h('th', {scope: 'col'}, t(k))))),
      h(
        'tbody',
        {},
        health.webhooks.map((w) =>
          h(
            'tr',
            {'data-topic': w.topic},
            h('th', {scope: 'row'}, h('code', {}, w.topic)),
            h('td', {}, when(w.lastReceivedAt)),
            h('td', {class: 'num'}, count(w.received)),
            h('td', {class: 'num'}, w.failures ? [h('span', {class: 'badge paused'}, t('status.webhooks.failed', {count: count(w.failures), when: when(w.lastFailureAt)})), h('p', {class: 'hint'}, w.lastFailure)] : '0'),
          ),
        ),
      ),
    ),
    quiet === health.webhooks.length ? h('p', {class: 'muted'}, t('status.webhooks.none')) : null,
  ];
}

function functionCard(f) {
  const instructions = (n) => t('status.function.instructions', {count: count(n)});
  return [
    h('h2', {}, t('status.fn.title')),
    f.runs === 0
      ? h('p', {class: 'muted', 'data-testid': 'function-runs'}, t('status.function.none'))
      : [
          h('p', {'data-testid': 'function-runs'}, t('status.function.runs', {runs: count(f.runs), offered: count(f.offered), since: when(f.since)})),
          barChart(
            t('status.fn.title'),
            [
              {label: t('status.function.median'), value: f.median, mark: f.limit},
              {label: t('status.function.p95'), value: f.p95, mark: f.limit},
              {label: t('status.function.max'), value: f.max, mark: f.limit, kind: f.max > f.limit ? 'bad' : ''},
            ],
            instructions,
            {markLabel: t('status.function.limit')},
          ),
          h('p', {class: 'legend'}, h('span', {class: 'key mark'}), t('status.function.limitLegend', {limit: instructions(f.limit)})),
        ],
  ];
}

export async function renderStatus(ctx, view) {
  const [shop, catalog, sync, health] = await Promise.all([ctx.api.shopInfo(), ctx.api.catalog().catch(() => null), ctx.api.syncStatus(), ctx.api.storeHealth()]);
  const variants = catalog ? catalog.products.reduce((n, p) => n + p.variants.length, 0) : null;
  const syncSection = h('section', {class: 'card', 'data-testid': 'sync', 'aria-live': 'polite'});
  let timer = null;
  const drawSync = (status) => {
    put(syncSection, syncCard(ctx, status, startSync));
    clearTimeout(timer);
    // Follow a running sync until it ends (while this page is shown).
    if (status.latest && (status.latest.state === 'running' || status.latest.state === 'waiting')) {
      timer = setTimeout(async () => {
        if (!syncSection.isConnected) return;
        drawSync(await ctx.api.syncStatus().catch(() => status));
      }, 2000);
    }
  };
  async function startSync() {
    try {
      drawSync(await ctx.api.startSync());
      ctx.toast(t('status.sync.started'));
    } catch (error) {
      ctx.toast(error.message, true);
    }
  }
  drawSync(sync);
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
        row('status.defaultCap', defaultCap(shop) ?? t('status.noDefaultCap')),
        row('status.catalog', catalog ? t('status.catalogCounts', {products: catalog.products.length, variants}) : '—'),
      ),
    ),
    syncSection,
    h('section', {class: 'card', 'data-testid': 'function'}, functionCard(health.function)),
    h('section', {class: 'card'}, webhooksCard(health)),
  );
}
