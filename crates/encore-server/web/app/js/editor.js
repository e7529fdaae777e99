// The campaign editor: every part of a campaign docs/campaigns.md describes, as labelled form
// fields bound to JSON paths of the configuration. The offer engine runs in the browser
// (engine.js): it validates as you type, prices the preview and drives the simulator. Saving
// PUTs the whole configuration; the server's faults (the same engine's) come back with their
// JSON paths; both kinds are shown at the field with that path.
import {catalogPicker} from './catalog-picker.js';
import {catalogWarnings, indexCatalog, offerVariantIds} from './catalog-warnings.js';
import {clear, field, h, put, uid} from './dom.js';
import {price as enginePrice, validate, warmEngine} from './engine.js';
import {locale, t} from './i18n.js';
import {formatMoney, parseMinor} from './money.js';
import {simulatorPanel} from './simulator.js';

const COPY_LOCALES = ['en', 'fr'];
const COPY_KEYS = ['headline', 'body', 'acceptLabel', 'declineLabel'];

// ---- the draft: reading and writing by path ---------------------------------------------------

export function getAt(obj, path) {
  return path.reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}

const isEmpty = (v) =>
  v === undefined || v === '' || (Array.isArray(v) && v.length === 0) || (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

/** Sets `value` at `path`, or removes the key when the value is empty, pruning empty parents. */
export function setAt(obj, path, value) {
  const parents = [obj];
  let o = obj;
  for (const k of path.slice(0, -1)) {
    if (o[k] === undefined || o[k] === null || typeof o[k] !== 'object') o[k] = typeof k === 'number' ? [] : {};
    o = o[k];
    parents.push(o);
  }
  const last = path[path.length - 1];
  if (isEmpty(value)) delete o[last];
  else o[last] = value;
  for (let i = path.length - 2; i >= 0; i--) {
    const parent = parents[i];
    if (!Array.isArray(parent[path[i]]) && isEmpty(parent[path[i]])) delete parent[path[i]];
  }
}

/** A JSON path as the engine writes it: `$.campaigns[2].steps[0].offer`. */
export const jsonPath = (path) => '$' + path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');

/** A path and its ancestors, nearest first: `$.a[0].b` → `$.a[0].b`, `$.a[0]`, `$.a`. */
export function ancestors(path) {
  const out = [path];
  for (let p = path; ; ) {
    const up = p.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
    if (up === p || up === '$' || up === '') break;
    out.push(up);
    p = up;
  }
  return out;
}

// Inputs → JSON: whole numbers become numbers; anything else stays text for the engine to judge
// (so a refusal is the engine's, in its words).
const numberOrText = (s) => (s.trim() === '' ? undefined : /^-?\d+$/.test(s.trim()) ? Number(s.trim()) : s.trim());
const text = (s) => (s.trim() === '' ? undefined : s.trim());
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
// Offer products: "2101, 2102+2103" → ["2101", ["2102", "2103"]].
const productList = (s) => list(s).map((x) => (x.includes('+') ? x.split('+').map((y) => y.trim()).filter(Boolean) : x));
const showProducts = (v) => (Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? x.join('+') : x)).join(', ') : '');
const showList = (v) => (Array.isArray(v) ? v.join(', ') : '');
// datetime-local (read as UTC) ↔ RFC 3339.
const toRfc3339 = (s) => (s ? (s.length === 16 ? `${s}:00Z` : `${s}Z`) : undefined);
const fromRfc3339 = (s) => (typeof s === 'string' ? s.replace(/Z$/, '').slice(0, 16) : '');

export async function renderEditor(ctx, view, {id}) {
  // Without the engine (a browser that cannot run wasm) the editor still works: the save's
  // answer carries the same faults.
  const [live, shopInfo, catalog, engine] = await Promise.all([ctx.api.campaigns(), ctx.api.shopInfo(), ctx.api.catalog().catch(() => null), warmEngine().then(() => true, () => false)]);
  const config = structuredClone(live.config || {version: 1, campaigns: []});
  config.campaigns = config.campaigns || [];
  const fromTemplate = sessionStorage.getItem('encore.template');
  sessionStorage.removeItem('encore.template');
  let index = id === null ? config.campaigns.length : config.campaigns.findIndex((c) => c.id === id);
  if (index < 0) {
    view.append(h('div', {class: 'banner critical', role: 'alert'}, t('editor.notFound', {id})));
    return;
  }
  const draft =
    id === null
      ? fromTemplate
        ? JSON.parse(fromTemplate)
        : {id: '', name: '', status: 'draft', priority: 0, triggers: {}, steps: [{id: 'upsell', offer: {products: [], discount: {percent: 10}}}]}
      : structuredClone(config.campaigns[index]);
  const currency = shopInfo.currencyCode;
  const exponent = shopInfo.currencyExponent ?? 2;
  const catalogIndex = indexCatalog(catalog);
  const base = ['campaigns', index];
  const form = h('form', {class: 'editor', novalidate: true});
  const faultList = h('div', {class: 'banner critical', role: 'alert', tabindex: '-1', hidden: true});
  const decimalMoney = (decimal) => {
    const minor = parseMinor(decimal, exponent);
    return minor === null ? `${decimal} ${currency}` : formatMoney(minor, currency, exponent, locale());
  };

  // A text-like input bound to `path` (relative to the campaign), written through `parse`.
  const input = (label, path, {parse = text, show = (v) => (v ?? ''), hint, type = 'text', placeholder, rerender = false} = {}) => {
    const control = h('input', {type, value: show(getAt(draft, path)), placeholder, autocomplete: 'off'});
    control.addEventListener('input', () => setAt(draft, path, parse(control.value)));
    if (rerender) control.addEventListener('change', () => redraw());
    return field(label, control, {hint, path: jsonPath([...base, ...path])});
  };
  const select = (label, path, options, {hint, onChange} = {}) => {
    const current = getAt(draft, path);
    const control = h('select', {}, options.map(([value, name]) => h('option', {value, selected: String(current ?? '') === value}, name)));
    control.addEventListener('change', () => {
      setAt(draft, path, control.value === '' ? undefined : control.value);
      if (onChange) onChange(control.value);
    });
    return field(label, control, {hint, path: jsonPath([...base, ...path])});
  };
  const checkbox = (label, checked, onChange) => {
    const id = uid('c');
    const box = h('input', {type: 'checkbox', id, checked});
    box.addEventListener('change', () => onChange(box.checked));
    return h('div', {class: 'check'}, box, h('label', {for: id}, label));
  };
  // A comma-separated list with a search-as-you-type picker over the synced catalog beside it
  // (`kind`: products, variants, collections, tags, types, vendors; null for none).
  const listInput = (label, path, kind, {parse = list, show = showList, hint} = {}) => {
    const wrapper = input(label, path, {parse, show, hint});
    if (kind) wrapper.append(catalogPicker(kind, wrapper.querySelector('input'), label, ctx.api.searchCatalog));
    return wrapper;
  };
  const section = (titleKey, ...body) => {
    const headingId = uid('s');
    return h('fieldset', {class: 'card', 'aria-labelledby': headingId}, h('legend', {id: headingId}, t(titleKey)), ...body);
  };

  function basics() {
    return section(
      'editor.basics',
      h(
        'div',
        {class: 'grid'},
        input(t('editor.name'), ['name']),
        input(t('editor.id'), ['id'], {hint: t('editor.idHint')}),
        select(t('editor.status'), ['status'], [['active', t('status.active')], ['paused', t('status.paused')], ['draft', t('status.draft')]]),
        input(t('editor.priority'), ['priority'], {parse: numberOrText, type: 'text', hint: t('editor.priorityHint')}),
        input(t('editor.scheduleStart'), ['schedule', 'start'], {type: 'datetime-local', parse: toRfc3339, show: fromRfc3339}),
        input(t('editor.scheduleEnd'), ['schedule', 'end'], {type: 'datetime-local', parse: toRfc3339, show: fromRfc3339}),
      ),
    );
  }

  function triggers() {
    const tr = ['triggers'];
    return section(
      'editor.triggers',
      h('p', {class: 'hint'}, t('editor.triggersHint')),
      h(
        'div',
        {class: 'grid'},
        listInput(t('editor.trigger.products'), [...tr, 'products'], 'products'),
        listInput(t('editor.trigger.variants'), [...tr, 'variants'], 'variants'),
        listInput(t('editor.trigger.collections'), [...tr, 'collections'], 'collections'),
        listInput(t('editor.trigger.tags'), [...tr, 'tags'], 'tags'),
        listInput(t('editor.trigger.productTypes'), [...tr, 'productTypes'], 'types'),
        listInput(t('editor.trigger.vendors'), [...tr, 'vendors'], 'vendors'),
        input(t('editor.trigger.valueMin', {currency}), [...tr, 'purchaseValue', 'min']),
        input(t('editor.trigger.valueMax', {currency}), [...tr, 'purchaseValue', 'max']),
        select(t('editor.trigger.orders'), [...tr, 'customer', 'orders'], [['', t('editor.trigger.ordersAny')], ['first', t('editor.trigger.ordersFirst')], ['returning', t('editor.trigger.ordersReturning')]]),
        input(t('editor.trigger.minOrders'), [...tr, 'customer', 'minOrders'], {parse: numberOrText}),
        input(t('editor.trigger.minAmountSpent', {currency}), [...tr, 'customer', 'minAmountSpent']),
        listInput(t('editor.trigger.tagsInclude'), [...tr, 'customer', 'tagsInclude'], null),
        listInput(t('editor.trigger.tagsExclude'), [...tr, 'customer', 'tagsExclude'], null),
        listInput(t('editor.trigger.countriesInclude'), [...tr, 'countries', 'include'], null, {parse: (s) => list(s).map((c) => c.toUpperCase())}),
        listInput(t('editor.trigger.countriesExclude'), [...tr, 'countries', 'exclude'], null, {parse: (s) => list(s).map((c) => c.toUpperCase())}),
        listInput(t('editor.trigger.excludeProducts'), [...tr, 'exclude', 'products'], 'products'),
        listInput(t('editor.trigger.excludeTags'), [...tr, 'exclude', 'tags'], 'tags'),
      ),
    );
  }

  function funnelDiagram() {
    const steps = draft.steps || [];
    const target = (next) => (next ? next : t('editor.funnelEnd'));
    return h(
      'ol',
      {class: 'funnel', 'aria-label': t('editor.funnel')},
      steps.map((s, i) =>
        h(
          'li',
          {class: 'funnel-step'},
          h('strong', {}, `${i + 1}. ${s.id || '?'}`),
          h('span', {class: 'accept'}, `✓ ${t('editor.onAccept')} → ${target(s.onAccept)}`),
          h('span', {class: 'decline'}, `✗ ${t('editor.onDecline')} → ${target(s.onDecline)}`),
        ),
      ),
    );
  }

  function pricePreview(stepPath, output) {
    const offer = getAt(draft, [...stepPath, 'offer']) || {};
    const ids = offerVariantIds(offer);
    clear(output);
    if (offer.auto) {
      output.append(t('editor.preview.auto'));
      return;
    }
    if (ids.length === 0) {
      output.append(t('editor.preview.noProducts'));
      return;
    }
    const chosen = output.dataset.variant && ids.includes(output.dataset.variant) ? output.dataset.variant : ids[0];
    const variant = catalogIndex.variants.get(chosen);
    const pick = h('select', {'aria-label': t('editor.preview.variant')}, ids.map((v) => h('option', {value: v, selected: v === chosen}, catalogIndex.variants.get(v) ? `${catalogIndex.variants.get(v).product.title} — ${catalogIndex.variants.get(v).title ?? v}` : v)));
    pick.addEventListener('change', () => {
      output.dataset.variant = pick.value;
      pricePreview(stepPath, output);
    });
    let line;
    if (!variant) line = h('span', {class: 'warning-text'}, t('warning.variantMissing', {id: chosen}));
    else if (!engine) line = h('span', {class: 'muted'}, t('editor.preview.noEngine'));
    else {
      // The engine prices it: its reading of quantity and discount, its rounding rule.
      const answer = enginePrice(offer, variant.price, variant.compareAtPrice, currency);
      const p = answer.prices;
      line = p
        ? h('span', {'data-testid': 'price-preview'}, t('editor.preview.price', {quantity: p.quantity, original: decimalMoney(p.originalPrice), price: decimalMoney(p.offerPrice)}))
        : h('span', {class: 'warning-text', 'data-testid': 'price-preview-refused'}, answer.faults ? answer.faults.map((f) => f.message).join('; ') : answer.priceError);
    }
    output.append(pick, ' ', line);
  }

  function offerFields(stepPath, step) {
    const offerPath = [...stepPath, 'offer'];
    const offer = getAt(draft, offerPath) || {};
    const preview = h('output', {class: 'preview', 'aria-live': 'polite'});
    const refresh = () => pricePreview(stepPath, preview);
    const discountKind = ['percent', 'amountOff', 'fixedPrice'].find((k) => offer.discount?.[k] !== undefined) || '';
    const discountSelect = h('select', {}, [['', t('editor.discount.none')], ['percent', t('editor.discount.percent')], ['amountOff', t('editor.discount.amountOff', {currency})], ['fixedPrice', t('editor.discount.fixedPrice', {currency})]].map(([v, n]) => h('option', {value: v, selected: v === discountKind}, n)));
    discountSelect.addEventListener('change', () => {
      const title = getAt(draft, [...offerPath, 'discount', 'title']);
      setAt(draft, [...offerPath, 'discount'], discountSelect.value ? {[discountSelect.value]: '', title} : undefined);
      redraw();
    });
    const withPreview = (el) => {
      el.addEventListener('input', refresh);
      return el;
    };
    const copy = COPY_LOCALES.map((loc) => {
      const copyPath = [...offerPath, 'copy', loc];
      const card = h('div', {class: 'copy-preview', 'aria-hidden': 'true'});
      const drawCard = () => {
        const c = getAt(draft, copyPath) || {};
        clear(card).append(h('strong', {}, c.headline || t('editor.copy.defaultHeadline')), h('p', {}, c.body || ''), h('span', {class: 'fake-button'}, c.acceptLabel || t('editor.copy.defaultAccept')), ' ', h('span', {class: 'fake-link'}, c.declineLabel || t('editor.copy.defaultDecline')));
      };
      drawCard();
      const group = h('fieldset', {class: 'copy'}, h('legend', {}, t('editor.copy.locale', {locale: loc})), COPY_KEYS.map((k) => input(t(`editor.copy.${k}`), [...copyPath, k])), card);
      group.addEventListener('input', drawCard);
      return group;
    });
    const subscription = offer.subscription;
    const shipping = offer.shipping;
    const node = h(
      'div',
      {class: 'offer'},
      checkbox(t('editor.auto'), Boolean(offer.auto), (on) => {
        setAt(draft, [...offerPath, 'auto'], on ? true : undefined);
        if (on) setAt(draft, [...offerPath, 'products'], undefined);
        redraw();
      }),
      h(
        'div',
        {class: 'grid'},
        offer.auto
          ? [
              input(t('editor.autoMax'), [...offerPath, 'auto', 'maxCandidates'], {parse: numberOrText, show: (v) => v ?? '', placeholder: '5'}),
              input(t('editor.autoLift'), [...offerPath, 'auto', 'minLiftPermille'], {parse: numberOrText, show: (v) => v ?? '', placeholder: '1000'}),
            ]
          : withPreview(listInput(t('editor.products'), [...offerPath, 'products'], 'variants', {parse: productList, show: showProducts, hint: t('editor.productsHint')})),
        withPreview(input(t('editor.quantity'), [...offerPath, 'quantity'], {parse: numberOrText, placeholder: '1'})),
        field(t('editor.discount'), discountSelect),
        discountKind ? withPreview(input(t(`editor.discount.${discountKind}Value`, {currency}), [...offerPath, 'discount', discountKind], {parse: discountKind === 'percent' ? numberOrText : text})) : null,
        discountKind ? input(t('editor.discount.title'), [...offerPath, 'discount', 'title']) : null,
      ),
      preview,
      checkbox(t('editor.refill'), Boolean(offer.refill), (on) => setAt(draft, [...offerPath, 'refill'], on ? true : undefined)),
      checkbox(t('editor.subscription'), Boolean(subscription), (on) => {
        setAt(draft, [...offerPath, 'subscription'], on ? {shippingTitle: t('editor.subscription.defaultTitle')} : undefined);
        redraw();
      }),
      subscription
        ? h(
            'div',
            {class: 'grid'},
            input(t('editor.subscription.plan'), [...offerPath, 'subscription', 'sellingPlanId'], {hint: t('editor.subscription.planHint')}),
            input(t('editor.subscription.initial', {currency}), [...offerPath, 'subscription', 'initialShippingPrice']),
            input(t('editor.subscription.recurring', {currency}), [...offerPath, 'subscription', 'recurringShippingPrice']),
            input(t('editor.subscription.title'), [...offerPath, 'subscription', 'shippingTitle']),
          )
        : null,
      checkbox(t('editor.shipping'), Boolean(shipping), (on) => {
        setAt(draft, [...offerPath, 'shipping'], on ? {price: '', title: ''} : undefined);
        redraw();
      }),
      shipping
        ? h('div', {class: 'grid'}, input(t('editor.shipping.price', {currency}), [...offerPath, 'shipping', 'price']), input(t('editor.shipping.title'), [...offerPath, 'shipping', 'title']))
        : h('p', {class: 'hint'}, t('editor.shipping.free')),
      h('div', {class: 'copies'}, copy),
    );
    refresh();
    return node;
  }

  function steps() {
    const list = draft.steps || [];
    const ids = list.map((s) => s.id).filter(Boolean);
    const nextOptions = (self) => [['', t('editor.funnelEnd')], ...ids.filter((x) => x !== self).map((x) => [x, x])];
    return section(
      'editor.steps',
      funnelDiagram(),
      list.map((step, i) => {
        const stepPath = ['steps', i];
        const idInput = input(t('editor.stepId'), [...stepPath, 'id']);
        idInput.querySelector('input').addEventListener('change', (e) => {
          const old = step.id;
          const now = e.target.value.trim();
          for (const s of draft.steps) {
            if (s.onAccept === old) s.onAccept = now;
            if (s.onDecline === old) s.onDecline = now;
          }
          redraw();
        });
        return h(
          'section',
          {class: 'step', 'aria-label': t('editor.stepLabel', {n: i + 1, id: step.id || ''})},
          h('h3', {}, t('editor.stepTitle', {n: i + 1, kind: i === 0 ? t('editor.kind.upsell') : t('editor.kind.next')})),
          h(
            'div',
            {class: 'grid'},
            idInput,
            select(t('editor.onAccept'), [...stepPath, 'onAccept'], nextOptions(step.id), {onChange: () => redraw()}),
            select(t('editor.onDecline'), [...stepPath, 'onDecline'], nextOptions(step.id), {onChange: () => redraw()}),
          ),
          offerFields(stepPath, step),
          list.length > 1
            ? h('button', {type: 'button', class: 'plain critical', onClick: () => {
                const removed = draft.steps.splice(i, 1)[0];
                for (const s of draft.steps) {
                  if (s.onAccept === removed.id) delete s.onAccept;
                  if (s.onDecline === removed.id) delete s.onDecline;
                }
                redraw();
              }}, t('editor.removeStep', {id: step.id || i + 1}))
            : null,
        );
      }),
      h('button', {type: 'button', onClick: () => {
        draft.steps = draft.steps || [];
        let n = draft.steps.length + 1;
        while (draft.steps.some((s) => s.id === `step-${n}`)) n++;
        draft.steps.push({id: `step-${n}`, offer: {products: [], discount: {percent: 10}}});
        redraw();
      }}, t('editor.addStep')),
    );
  }

  function experiment() {
    const exp = draft.experiment;
    const total = (exp?.arms || []).reduce((s, a) => s + (Number(a.weight) || 0), 0);
    return section(
      'editor.experiment',
      checkbox(t('editor.experiment.on'), Boolean(exp), (on) => {
        draft.experiment = on ? {id: `${draft.id || 'campaign'}-test`, arms: [{id: 'a', weight: 1}, {id: 'b', weight: 1}]} : undefined;
        if (!on) delete draft.experiment;
        redraw();
      }),
      exp
        ? [
            input(t('editor.experiment.id'), ['experiment', 'id']),
            (exp.arms || []).map((arm, i) =>
              h(
                'div',
                {class: 'grid arm'},
                input(t('editor.experiment.armId', {n: i + 1}), ['experiment', 'arms', i, 'id']),
                input(t('editor.experiment.weight', {n: i + 1}), ['experiment', 'arms', i, 'weight'], {parse: numberOrText, rerender: true, hint: total > 0 ? t('editor.experiment.share', {percent: Math.round(((Number(arm.weight) || 0) * 100) / total)}) : null}),
                input(t('editor.experiment.percent', {n: i + 1}), ['experiment', 'arms', i, 'discount', 'percent'], {parse: numberOrText, hint: t('editor.experiment.percentHint')}),
                h('button', {type: 'button', class: 'plain critical', onClick: () => {
                  exp.arms.splice(i, 1);
                  redraw();
                }}, t('editor.experiment.removeArm', {n: i + 1})),
              ),
            ),
            h('button', {type: 'button', onClick: () => {
              exp.arms.push({id: String.fromCharCode(97 + exp.arms.length), weight: 1});
              redraw();
            }}, t('editor.experiment.addArm')),
          ]
        : null,
    );
  }

  function guardrails() {
    const shopDefaults = config.defaults?.guardrails || {};
    const shown = (key, encoreDefault) => {
      if (shopDefaults[key] !== undefined) return t('editor.guard.shopDefault', {value: shopDefaults[key]});
      return encoreDefault === null ? t('editor.guard.noDefault') : t('editor.guard.encoreDefault', {value: encoreDefault});
    };
    const g = ['guardrails'];
    return section(
      'editor.guardrails',
      h(
        'div',
        {class: 'grid'},
        input(t('editor.guard.maxOfferPrice', {currency}), [...g, 'maxOfferPrice'], {hint: shown('maxOfferPrice', shopInfo.defaultMaxOfferPrice), placeholder: shopDefaults.maxOfferPrice ?? shopInfo.defaultMaxOfferPrice ?? ''}),
        input(t('editor.guard.maxShare'), [...g, 'maxShareOfPurchasePercent'], {parse: numberOrText, hint: shown('maxShareOfPurchasePercent', 25), placeholder: String(shopDefaults.maxShareOfPurchasePercent ?? 25)}),
        input(t('editor.guard.minPurchase', {currency}), [...g, 'minPurchase'], {hint: shown('minPurchase', '0'), placeholder: String(shopDefaults.minPurchase ?? '0')}),
        input(t('editor.guard.refundPause'), [...g, 'refundRatePausePercent'], {parse: numberOrText, hint: shown('refundRatePausePercent', 5), placeholder: String(shopDefaults.refundRatePausePercent ?? 5)}),
        input(t('editor.guard.refundMin'), [...g, 'refundRateMinAccepts'], {parse: numberOrText, hint: shown('refundRateMinAccepts', 20), placeholder: String(shopDefaults.refundRateMinAccepts ?? 20)}),
        input(t('editor.guard.marginFloor'), [...g, 'marginFloorPercent'], {parse: numberOrText, hint: shown('marginFloorPercent', null)}),
      ),
    );
  }

  function warnings() {
    const found = catalog ? catalogWarnings({campaigns: [draft]}, catalogIndex) : [];
    if (!found.length) return null;
    return h('div', {class: 'banner warning', role: 'status'}, h('ul', {}, found.map((w) => h('li', {}, t(`warning.${w.kind}`, {id: w.id, step: w.stepId ?? ''})))));
  }

  /** Removes every fault shown at a field. */
  function clearFaults() {
    for (const e of form.querySelectorAll('.field-error')) {
      e.hidden = true;
      e.textContent = '';
    }
    for (const e of form.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
  }

  /**
   * Shows each fault of this campaign at the field whose path it names (or its closest
   * ancestor's field); answers the list items (linked where placed) and the first field.
   */
  function placeFaults(faults) {
    clearFaults();
    const mine = jsonPath(base);
    const items = [];
    let first = null;
    for (const f of faults) {
      let target = null;
      for (const p of ancestors(f.path)) {
        target = form.querySelector(`[data-path="${CSS.escape(p)}"]`);
        if (target) break;
      }
      if (target && f.path.startsWith(mine)) {
        const error = document.getElementById(`${target.id}-error`);
        error.textContent = f.message;
        error.hidden = false;
        target.setAttribute('aria-invalid', 'true');
        first = first || target;
        items.push(h('li', {}, h('a', {href: `#${target.id}`}, f.path), `: ${f.message}`));
      } else {
        items.push(h('li', {}, `${f.path}: ${f.message}`));
      }
    }
    return {items, first};
  }

  /** The save's faults: at their fields, listed at the top, focus on the first. */
  function showFaults(faults) {
    const {items, first} = placeFaults(faults);
    clear(faultList).append(h('h2', {}, t('editor.faults', {count: faults.length})), h('ul', {}, items));
    faultList.hidden = false;
    (first || faultList).focus();
  }

  /** The whole configuration with the draft in its place: what saving would PUT. */
  function nextConfig() {
    const next = structuredClone(config);
    next.version = next.version ?? 1;
    next.campaigns[index] = draft;
    return next;
  }

  // Validation as you type: the engine's faults at their fields (the top list waits for Save,
  // and focus stays where the merchant is typing). Faults elsewhere in the configuration are
  // the server's to report.
  let pending = null;
  function validateSoon() {
    if (!engine) return;
    clearTimeout(pending);
    pending = setTimeout(() => {
      const mine = jsonPath(base);
      const faults = validate(nextConfig(), currency).filter((f) => f.path.startsWith(mine));
      placeFaults(faults);
      form.dataset.faults = String(faults.length);
    }, 120);
  }

  const simulator = engine && catalog ? simulatorPanel({catalog, currency, exponent, pastOrders: ctx.api.pastOrders, coPurchases: ctx.api.coPurchases, current: () => ({config: nextConfig(), campaignId: draft.id, campaign: draft})}) : null;
  let simulateSoon = null;
  function afterEdit() {
    validateSoon();
    if (!simulator) return;
    clearTimeout(simulateSoon);
    simulateSoon = setTimeout(simulator.refresh, 120);
  }

  async function save(event) {
    event.preventDefault();
    clearTimeout(pending);
    clearFaults();
    faultList.hidden = true;
    const next = nextConfig();
    try {
      const saved = await ctx.api.saveCampaigns(next, live.version);
      ctx.toast(t('editor.saved', {version: saved.version}));
      ctx.navigate('/app/campaigns');
    } catch (error) {
      if (error.status === 422 && error.faults.length) showFaults(error.faults);
      else {
        clear(faultList).append(h('p', {}, error.message));
        faultList.hidden = false;
        faultList.focus();
      }
    }
  }

  function redraw() {
    const scroll = window.scrollY;
    const focusedPath = document.activeElement?.dataset?.path;
    put(
      form,
      faultList,
      warnings(),
      basics(),
      triggers(),
      steps(),
      experiment(),
      guardrails(),
      simulator ? simulator.panel : h('section', {class: 'card simulator', 'aria-labelledby': 'sim-title'}, h('h2', {id: 'sim-title'}, t('editor.simulator')), h('p', {class: 'muted'}, t(engine ? 'sim.noCatalog' : 'sim.noEngine'))),
      h('div', {class: 'save-bar'}, h('button', {type: 'submit', class: 'primary'}, t('editor.save')), h('a', {class: 'button', href: '/app/campaigns', onClick: (e) => ctx.navigate('/app/campaigns', e)}, t('editor.cancel'))),
    );
    if (focusedPath) form.querySelector(`[data-path="${CSS.escape(focusedPath)}"]`)?.focus();
    window.scrollTo(0, scroll);
    afterEdit();
  }

  form.addEventListener('submit', save);
  form.addEventListener('input', afterEdit);
  form.addEventListener('change', afterEdit);
  view.append(h('div', {class: 'page-header'}, h('h1', {}, id === null ? t('editor.newTitle') : t('editor.editTitle', {name: draft.name || draft.id}))), form);
  redraw();
}
