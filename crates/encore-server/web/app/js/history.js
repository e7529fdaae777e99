// History: who changed which campaign when, and what (GET /api/campaigns/history), beside the
// versions the Campaigns page rolls back to.
import {field, h, put} from './dom.js';
import {locale, t} from './i18n.js';

/** Who saved, in words. */
export function actorText(entry) {
  if (entry.actor === 'staff') return t('history.staff', {id: String(entry.staffMemberId).split('/').pop()});
  return t(`history.actor.${entry.actor}`);
}

/** What one entry did, in words. */
export function changeText(entry) {
  if (entry.change === 'changed') return t('history.changedFields', {fields: entry.fields.join(', ')});
  return t(`history.change.${entry.change}`);
}

export async function renderHistory(ctx, view) {
  const [history, live] = await Promise.all([ctx.api.history(), ctx.api.campaigns().catch(() => null)]);
  const names = new Map((live?.config?.campaigns || []).map((c) => [c.id, c.name || c.id]));
  const ids = [...new Set(history.entries.map((e) => e.campaignId).filter(Boolean))].sort();
  const when = (iso) => new Intl.DateTimeFormat(locale(), {dateStyle: 'medium', timeStyle: 'medium'}).format(new Date(iso));
  const table = h('div', {});
  const filter = h('select', {onChange: () => draw(filter.value)}, h('option', {value: ''}, t('history.all')), ids.map((id) => h('option', {value: id}, names.get(id) || id)));
  const draw = (campaign) => {
    const entries = history.entries.filter((e) => !campaign || e.campaignId === campaign || e.campaignId === null);
    put(
      table,
      entries.length === 0
        ? h('p', {class: 'muted'}, t('history.none'))
        : h(
            'table',
            {class: 'table'},
            h('caption', {class: 'visually-hidden'}, t('history.title')),
            h('thead', {}, h('tr', {}, ['history.when', 'history.who', 'history.campaign', 'history.what', 'history.version'].map((k) => h('th', {scope: 'col'}, t(k))))),
            h(
              'tbody',
              {},
              entries.map((e) =>
                h(
                  'tr',
                  {'data-version': e.version, 'data-campaign': e.campaignId ?? ''},
                  h('td', {}, when(e.createdAt)),
                  h('td', {}, actorText(e)),
                  h('td', {}, e.campaignId ? (names.get(e.campaignId) || e.campaignId) : h('span', {class: 'muted'}, t('history.shopWide'))),
                  h('td', {}, h('span', {class: `badge ${e.change === 'removed' ? 'paused' : e.change === 'created' ? 'active' : ''}`}, changeText(e)), e.baseVersion ? h('span', {class: 'badge warning', title: t('history.mergedTitle')}, t('history.merged', {base: e.baseVersion})) : null),
                  h('td', {class: 'num'}, e.version),
                ),
              ),
            ),
          ),
    );
  };
  draw('');
  view.append(
    h('div', {class: 'page-header'}, h('h1', {}, t('history.title'))),
    h('p', {class: 'muted'}, t('history.intro')),
    h('section', {class: 'card'}, h('div', {class: 'range'}, field(t('history.filter'), filter)), table),
  );
}
