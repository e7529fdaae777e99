// Getting started: turning Encore on in the Shopify admin, templates of the seed's use cases,
// and warnings about campaigns the catalog cannot serve.
import {catalogWarnings, indexCatalog} from './catalog-warnings.js';
import {h} from './dom.js';
import {t} from './i18n.js';
import {TEMPLATES} from './templates.js';

/** What Shopify says of Settings → Checkout → Post-purchase page: on, off, or why it cannot tell. */
function turnedOn(setting) {
  if (setting.postPurchaseAppInUse === true) return h('p', {class: 'banner success', 'data-testid': 'turned-on'}, t('start.isOn'));
  if (setting.postPurchaseAppInUse === false) return h('p', {class: 'banner warning', 'data-testid': 'turned-on'}, t('start.isOff'));
  return h('p', {class: 'muted', 'data-testid': 'turned-on'}, t(`start.unknown.${setting.unknownBecause}`));
}

export async function renderStart(ctx, view) {
  const [live, catalog, setting] = await Promise.all([
    ctx.api.campaigns(),
    ctx.api.catalog().catch(() => null),
    ctx.api.checkoutSetting().catch(() => ({postPurchaseAppInUse: null, unknownBecause: 'shopify_unavailable'})),
  ]);
  const warnings = catalog && live.config ? catalogWarnings(live.config, indexCatalog(catalog)) : [];
  const use = (template) => {
    sessionStorage.setItem('encore.template', JSON.stringify(template.campaign));
    ctx.navigate('/app/campaigns/new');
  };
  view.append(
    h('div', {class: 'page-header'}, h('h1', {}, t('start.title'))),
    h(
      'section',
      {class: 'card'},
      h('h2', {}, t('start.turnOn')),
      h('ol', {}, h('li', {}, t('start.step1')), h('li', {}, t('start.step2')), h('li', {}, t('start.step3'))),
      turnedOn(setting),
    ),
    h(
      'section',
      {class: 'card', 'aria-labelledby': 'warnings-title'},
      h('h2', {id: 'warnings-title'}, t('start.warnings')),
      warnings.length
        ? h('ul', {class: 'warnings'}, warnings.map((w) => h('li', {}, h('strong', {}, w.campaignId), ': ', t(`warning.${w.kind}`, {id: w.id, step: w.stepId ?? ''}))))
        : h('p', {class: 'muted'}, catalog ? t('start.noWarnings') : t('start.noCatalog')),
    ),
    h('h2', {}, t('start.templates')),
    h(
      'div',
      {class: 'templates'},
      TEMPLATES.map((tpl) =>
        h(
          'section',
          {class: 'card template'},
          h('h3', {}, t(`template.${tpl.key}.title`)),
          h('p', {}, t(`template.${tpl.key}.body`)),
          h('button', {type: 'button', onClick: () => use(tpl), 'aria-label': t('start.useNamed', {name: t(`template.${tpl.key}.title`)})}, t('start.use')),
        ),
      ),
    ),
  );
}
