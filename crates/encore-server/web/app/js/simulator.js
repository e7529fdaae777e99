// The editor's simulator: a purchase built from the catalog or replayed from a past order
// (read from Shopify through the server), decided in the browser by the offer engine
// (engine.js, the Function's own code) on the configuration being edited, before it is saved,
// with the shop's co-purchase pairs of the products bought: what the buyer would see, the
// price, the changes that would be signed and why each other campaign was passed over.
import {clear, field, h, uid} from './dom.js';
import {decide} from './engine.js';
import {locale, t} from './i18n.js';
import {formatMoney, parseMinor} from './money.js';
import {ApiFailure} from './api.js';
import {catalogInput, purchasedProducts, simulationInput} from './simulation.js';

/** The first variant a campaign's triggers name, so the first simulation is a matching one. */
function defaultVariant(campaign, variants) {
  const tr = campaign.triggers || {};
  const byVariant = (tr.variants || []).map(String).find((id) => variants.some((v) => String(v.id) === id));
  if (byVariant) return byVariant;
  const byProduct = variants.find((v) => (tr.products || []).map(String).includes(v.product.id));
  return String((byProduct || variants[0])?.id ?? '');
}

/** A short date for an order's `createdAt` in the admin's language. */
const orderDate = (iso) => new Date(iso).toLocaleDateString(locale(), {year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC'});

/**
 * The simulator panel for the editor. `current()` gives {config, campaignId} — the whole
 * configuration with the draft in place; `refresh()` decides again (call it on every edit).
 * `pastOrders(name)` and `coPurchases(productIds)` are the admin API's (api.js).
 */
export function simulatorPanel({catalog, currency, exponent, current, pastOrders, coPurchases}) {
  const variants = catalogInput(catalog);
  // `customer` and `order` are set while a past order is replayed (its buyer and name).
  const state = {lines: null, country: '', orders: 1, customer: null, order: null, locale: locale(), asActive: true};
  // The co-purchase pairs of the products bought, asked of the server once per set of products.
  const pairs = {key: null, list: [], failed: false};
  const money = (decimal) => {
    const minor = parseMinor(decimal, exponent);
    return minor === null ? `${decimal} ${currency}` : formatMoney(minor, currency, exponent, locale());
  };
  const result = h('div', {class: 'simulation', 'aria-live': 'polite', 'data-testid': 'simulation'});
  const linesBox = h('div', {class: 'sim-lines'});
  const variantName = (v) => `${v.product.title} — ${v.title ?? v.id} (${v.id})`;

  function drawLines() {
    clear(linesBox);
    state.lines.forEach((line, i) => {
      const pick = h('select', {}, variants.map((v) => h('option', {value: String(v.id), selected: String(v.id) === line.variantId}, variantName(v))));
      pick.addEventListener('change', () => {
        line.variantId = pick.value;
        delete line.unitPrice;
        refresh();
      });
      const qty = h('input', {type: 'number', min: '1', max: '99', value: String(line.quantity), inputmode: 'numeric'});
      qty.addEventListener('input', () => {
        line.quantity = Math.max(1, Math.min(99, Number.parseInt(qty.value, 10) || 1));
        refresh();
      });
      linesBox.append(
        h(
          'div',
          {class: 'grid sim-line'},
          field(t('sim.variant', {n: i + 1}), pick),
          field(t('sim.quantity', {n: i + 1}), qty),
          state.lines.length > 1 ? h('button', {type: 'button', class: 'plain critical', onClick: () => { state.lines.splice(i, 1); drawLines(); refresh(); }}, t('sim.removeLine', {n: i + 1})) : null,
        ),
      );
    });
  }

  const country = h('input', {type: 'text', maxlength: '2', value: state.country, placeholder: 'US', autocomplete: 'off'});
  country.addEventListener('input', () => {
    state.country = country.value.trim().toUpperCase();
    refresh();
  });
  const buyerChoices = [[0, t('sim.buyer.guest')], [1, t('sim.buyer.first')], [3, t('sim.buyer.returning')]];
  const buyer = h('select', {});
  function drawBuyer() {
    const fromOrder = state.customer ? [['order', t('sim.buyer.fromOrder', {name: state.order, orders: state.customer.numberOfOrders})]] : [];
    const chosen = state.customer ? 'order' : String(state.orders);
    clear(buyer).append(...[...fromOrder, ...buyerChoices].map(([n, name]) => h('option', {value: String(n), selected: String(n) === chosen}, name)));
  }
  drawBuyer();
  buyer.addEventListener('change', () => {
    if (buyer.value !== 'order') {
      state.customer = null;
      state.orders = Number(buyer.value);
      drawBuyer();
    }
    refresh();
  });
  const language = h('select', {});
  function drawLanguage() {
    const known = ['en', 'fr'].includes(state.locale) ? ['en', 'fr'] : ['en', 'fr', state.locale];
    clear(language).append(...known.map((l) => h('option', {value: l, selected: l === state.locale}, l)));
  }
  drawLanguage();
  language.addEventListener('change', () => {
    state.locale = language.value;
    refresh();
  });
  const activeId = uid('c');
  const active = h('input', {type: 'checkbox', id: activeId, checked: state.asActive});
  active.addEventListener('change', () => {
    state.asActive = active.checked;
    refresh();
  });

  function showDecision(decision, campaignId) {
    const offer = decision.offer;
    const others = decision.reasons.filter((r) => !offer || r.campaignId !== offer.campaignId || r.stepId !== offer.stepId);
    const parts = [];
    if (offer) {
      const p = offer.products;
      parts.push(
        h('p', {class: offer.campaignId === campaignId ? 'sim-winner' : 'sim-winner other'}, offer.campaignId === campaignId ? t('sim.offerThis', {step: offer.stepId}) : t('sim.offerOther', {campaign: offer.campaignId, step: offer.stepId})),
        h('h3', {}, t('sim.buyerSees')),
        h(
          'div',
          {class: 'copy-preview', 'data-testid': 'sim-offer'},
          h('strong', {}, offer.copy.headline),
          h('p', {}, offer.copy.body),
          h('ul', {}, p.map((x) => h('li', {}, `${x.title}${x.variantTitle ? ` — ${x.variantTitle}` : ''} × ${x.quantity}: `, h('strong', {'data-testid': 'sim-price'}, money(x.shopPrices.offerPrice)), x.shopPrices.originalPrice !== x.shopPrices.offerPrice ? h('s', {}, ` ${money(x.shopPrices.originalPrice)}`) : null))),
          h('span', {class: 'fake-button'}, offer.copy.acceptLabel),
          ' ',
          h('span', {class: 'fake-link'}, offer.copy.declineLabel),
        ),
        h('h3', {}, t('sim.price')),
        h('p', {}, p.map((x) => t('sim.priceLine', {price: money(x.shopPrices.offerPrice), original: money(x.shopPrices.originalPrice), savings: money(x.shopPrices.savings), percent: x.shopPrices.savingsPercent}))),
        h('h3', {}, t('sim.changes')),
        h('pre', {class: 'sim-changes', 'data-testid': 'sim-changes'}, JSON.stringify(offer.changes, null, 2)),
      );
    } else {
      parts.push(h('p', {class: 'sim-winner none', 'data-testid': 'sim-none'}, t('sim.noOffer')));
    }
    parts.push(
      h('h3', {}, offer ? t('sim.passedOver') : t('sim.why')),
      others.length
        ? h('ul', {class: 'sim-reasons', 'data-testid': 'sim-reasons'}, others.map((r) => h('li', {}, h('code', {}, r.code), r.campaignId ? ` ${r.campaignId}${r.stepId ? ` / ${r.stepId}` : ''}` : '', `: ${r.detail}`)))
        : h('p', {class: 'muted'}, t('sim.noReasons')),
    );
    clear(result).append(...parts);
  }

  function refresh() {
    if (!state.lines) return;
    const {config, campaignId} = current();
    const simulated = structuredClone(config);
    const mine = simulated.campaigns?.find((c) => c.id === campaignId);
    if (mine && state.asActive) mine.status = 'active';
    const products = purchasedProducts(catalog, state.lines);
    if (coPurchases && pairs.key !== products.join(',')) {
      // Decide now without them, and again when the server has answered.
      const key = (pairs.key = products.join(','));
      pairs.list = [];
      pairs.failed = false;
      coPurchases(products).then(
        (answer) => key === pairs.key && ((pairs.list = answer.coPurchases || []), (pairs.failed = false), refresh()),
        () => key === pairs.key && ((pairs.failed = true), refresh()),
      );
    }
    const built = simulationInput({config: simulated, catalog, currency, exponent, lines: state.lines, country: state.country, orders: state.orders, customer: state.customer, coPurchases: pairs.list, locale: state.locale});
    if (built.error !== undefined) {
      clear(result).append(h('p', {class: 'warning-text'}, t('warning.variantMissing', {id: built.error})));
      return;
    }
    try {
      // A User Timing entry per decision: the benchmark (bench/measure.js) reads the first.
      const started = performance.now();
      const decision = decide(built.input);
      performance.measure('encore:simulated-decision', {start: started});
      showDecision(decision, campaignId);
      if (pairs.failed) result.append(h('p', {class: 'warning-text'}, t('sim.pairsFailed')));
    } catch (error) {
      clear(result).append(h('p', {class: 'warning-text'}, t('sim.failed', {message: error.message})));
    }
  }

  // A past order as the purchase: its lines at the prices paid, its country, language and
  // buyer. Lines whose variant is gone from the synced catalog are left out and said so.
  const orderName = h('input', {type: 'search', placeholder: '#1001', autocomplete: 'off', 'data-testid': 'sim-order-name'});
  const found = h('div', {class: 'sim-orders', 'aria-live': 'polite', 'data-testid': 'sim-orders'});
  const replaying = h('p', {class: 'hint', 'data-testid': 'sim-from-order', hidden: true});
  function useOrder(order) {
    const known = new Set(variants.map((v) => String(v.id)));
    const lines = order.lines.filter((l) => l.variantId && known.has(l.variantId)).map((l) => ({variantId: l.variantId, quantity: Math.max(1, Math.min(99, l.quantity)), unitPrice: l.unitPrice}));
    const left = order.lines.length - lines.length;
    if (lines.length === 0) {
      clear(found).append(h('p', {class: 'warning-text'}, t('sim.orders.nothingLeft', {name: order.name})));
      return;
    }
    state.lines = lines;
    state.order = order.name;
    state.country = order.country || '';
    country.value = state.country;
    state.customer = order.customer;
    if (!order.customer) state.orders = 0;
    drawBuyer();
    if (order.locale) state.locale = order.locale;
    drawLanguage();
    drawLines();
    replaying.hidden = false;
    replaying.textContent = t('sim.orders.replaying', {name: order.name}) + (left ? ` ${t('sim.orders.leftOut', {n: left})}` : '');
    refresh();
  }
  async function findOrders() {
    clear(found).append(h('p', {class: 'muted'}, t('sim.orders.asking')));
    let answer;
    try {
      answer = await pastOrders(orderName.value.trim());
    } catch (error) {
      clear(found).append(h('p', {class: 'warning-text', role: 'alert'}, error instanceof ApiFailure && error.status === 400 ? error.message : t('sim.orders.failed', {message: error.message})));
      return;
    }
    if (!answer.orders) {
      clear(found).append(h('p', {class: 'warning-text', role: 'alert'}, t(`sim.orders.${answer.unavailableBecause || 'shopify_unavailable'}`)));
      return;
    }
    if (answer.orders.length === 0) {
      clear(found).append(h('p', {class: 'muted'}, orderName.value.trim() ? t('sim.orders.noneNamed', {name: orderName.value.trim()}) : t('sim.orders.none')));
      return;
    }
    clear(found).append(
      h('ul', {class: 'sim-order-list'}, answer.orders.map((order) => {
        const units = order.lines.reduce((n, l) => n + l.quantity, 0);
        return h('li', {}, h('button', {type: 'button', class: 'plain', onClick: () => useOrder(order)}, t('sim.orders.use', {name: order.name, date: orderDate(order.createdAt), units, country: order.country || '—'})));
      })),
    );
  }
  // Not a <form>: the simulator sits inside the editor's form, whose submit saves.
  orderName.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    findOrders();
  });
  const orderBox = h(
    'div',
    {class: 'sim-past', role: 'search'},
    h('h3', {}, t('sim.orders.title')),
    h('div', {class: 'grid'}, field(t('sim.orders.name'), orderName, {hint: t('sim.orders.nameHint')}), h('div', {class: 'field'}, h('button', {type: 'button', onClick: findOrders}, t('sim.orders.find')))),
    found,
  );

  const panel = h(
    'section',
    {class: 'card simulator', 'aria-labelledby': 'sim-title'},
    h('h2', {id: 'sim-title'}, t('editor.simulator')),
    h('p', {class: 'hint'}, t('sim.hint')),
  );
  // The purchase is not part of the campaign: its edits stay out of the editor's listeners.
  for (const type of ['input', 'change']) panel.addEventListener(type, (e) => e.stopPropagation());
  if (variants.length === 0) {
    panel.append(h('p', {class: 'muted'}, t('sim.noCatalog')));
    return {panel, refresh: () => {}};
  }
  state.lines = [{variantId: defaultVariant(current().campaign || {}, variants), quantity: 1}];
  drawLines();
  // Edits of the purchase by hand end the replay of the order's lines (its prices stay on the
  // lines they came with).
  linesBox.addEventListener('change', () => (replaying.hidden = true));
  if (pastOrders) panel.append(orderBox);
  panel.append(
    replaying,
    linesBox,
    h('button', {type: 'button', onClick: () => { state.lines.push({variantId: String(variants[0].id), quantity: 1}); drawLines(); refresh(); }}, t('sim.addLine')),
    h('div', {class: 'grid'}, field(t('sim.country'), country, {hint: t('sim.countryHint')}), field(t('sim.buyer'), buyer), field(t('sim.locale'), language)),
    h('div', {class: 'check'}, active, h('label', {for: activeId}, t('sim.asActive'))),
    result,
  );
  return {panel, refresh};
}
