// Why no offer? A purchase's decisions (one per funnel step) and the Function's reason for
// every campaign and candidate it passed over.
import {clear, field, h} from './dom.js';
import {t} from './i18n.js';

export async function renderWhy(ctx, view) {
  const result = h('div', {'aria-live': 'polite'});
  const reference = h('input', {type: 'text', autocomplete: 'off', required: true, value: new URLSearchParams(location.search).get('purchase') || ''});
  const lookUp = async (event) => {
    event?.preventDefault();
    const id = reference.value.trim();
    if (!id) return;
    clear(result).append(h('p', {class: 'muted'}, t('common.loading')));
    try {
      const answer = await ctx.api.decisions(id);
      clear(result).append(...answer.decisions.map(decisionCard));
    } catch (error) {
      clear(result).append(h('div', {class: 'banner warning', role: 'status'}, error.status === 404 ? t('why.none', {id}) : error.message));
    }
  };
  view.append(
    h('div', {class: 'page-header'}, h('h1', {}, t('why.title'))),
    h('p', {class: 'muted'}, t('why.intro')),
    h('form', {class: 'card inline-form', onSubmit: lookUp}, field(t('why.reference'), reference, {hint: t('why.referenceHint')}), h('button', {type: 'submit', class: 'primary'}, t('why.lookUp'))),
    result,
  );
  if (reference.value) await lookUp();
}

function decisionCard(d) {
  const outcome = d.offered ? t(`why.outcome.${d.outcome || (d.shown ? 'shown' : 'offered')}`) : t('why.outcome.none');
  return h(
    'section',
    {class: 'card decision'},
    h('h2', {}, t('why.step', {n: d.seq + 1}), ' — ', outcome),
    d.offered ? h('p', {}, t('why.offered', {campaign: d.campaignId, step: d.stepId, amount: d.offerAmount ?? '—', currency: d.currencyCode ?? ''})) : null,
    d.reasons.length
      ? h(
          'table',
          {class: 'table'},
          h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, t('why.campaign')), h('th', {scope: 'col'}, t('why.code')), h('th', {scope: 'col'}, t('why.detail')))),
          h(
            'tbody',
            {},
            d.reasons.map((r) => h('tr', {}, h('td', {}, [r.campaignId, r.stepId, r.variantId].filter(Boolean).join(' · ') || '—'), h('td', {}, h('code', {}, r.code)), h('td', {}, r.detail || ''))),
          ),
        )
      : h('p', {class: 'muted'}, t('why.noReasons')),
  );
}
