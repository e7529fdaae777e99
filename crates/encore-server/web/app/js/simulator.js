// The editor's simulator: a purchase built from the catalog, decided in the browser by the
// offer engine (engine.js, the Function's own code) on the configuration being edited, before
// it is saved: what the buyer would see, the price, the changes that would be signed and why
// each other campaign was passed over.
import {clear, field, h, uid} from './dom.js';
import {decide} from './engine.js';
import {locale, t} from './i18n.js';
import {formatMoney, parseMinor} from './money.js';
import {catalogInput, simulationInput} from './simulation.js';

/** The first variant a campaign's triggers name, so the first simulation is a matching one. */
function defaultVariant(campaign, variants) {
  const tr = campaign.triggers || {};
  const byVariant = (tr.variants || []).map(String).find((id) => variants.some((v) => String(v.id) === id));
  if (byVariant) return byVariant;
  const byProduct = variants.find((v) => (tr.products || []).map(String).includes(v.product.id));
  return String((byProduct || variants[0])?.id ?? '');
}

/**
 * The simulator panel for the editor. `current()` gives {config, campaignId} — the whole
 * configuration with the draft in place; `refresh()` decides again (call it on every edit).
 */
export function simulatorPanel({catalog, currency, exponent, current}) {
  const variants = catalogInput(catalog);
  const state = {lines: null, country: '', orders: 1, locale: locale(), asActive: true};
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
  const buyer = h('select', {}, [[0, t('sim.buyer.guest')], [1, t('sim.buyer.first')], [3, t('sim.buyer.returning')]].map(([n, name]) => h('option', {value: String(n), selected: n === state.orders}, name)));
  buyer.addEventListener('change', () => {
    state.orders = Number(buyer.value);
    refresh();
  });
  const language = h('select', {}, ['en', 'fr'].map((l) => h('option', {value: l, selected: l === state.locale}, l)));
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
    const built = simulationInput({config: simulated, catalog, currency, exponent, lines: state.lines, country: state.country, orders: state.orders, locale: state.locale});
    if (built.error !== undefined) {
      clear(result).append(h('p', {class: 'warning-text'}, t('warning.variantMissing', {id: built.error})));
      return;
    }
    try {
      showDecision(decide(built.input), campaignId);
    } catch (error) {
      clear(result).append(h('p', {class: 'warning-text'}, t('sim.failed', {message: error.message})));
    }
  }

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
  panel.append(
    linesBox,
    h('button', {type: 'button', onClick: () => { state.lines.push({variantId: String(variants[0].id), quantity: 1}); drawLines(); refresh(); }}, t('sim.addLine')),
    h('div', {class: 'grid'}, field(t('sim.country'), country, {hint: t('sim.countryHint')}), field(t('sim.buyer'), buyer), field(t('sim.locale'), language)),
    h('div', {class: 'check'}, active, h('label', {for: activeId}, t('sim.asActive'))),
    result,
  );
  return {panel, refresh};
}
