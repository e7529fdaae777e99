// Campaigns: the list with status, priority and figures; pause/resume and priority order, each
// saved as a new configuration version; the versions with roll back.
import {loadFigures} from './analytics-data.js';
import {catalogWarnings, indexCatalog} from './catalog-warnings.js';
import {append, h} from './dom.js';
import {locale, t} from './i18n.js';

const byPriority = (a, b) => (Number(b.priority) || 0) - (Number(a.priority) || 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A copy of `config` with priorities rewritten so `ordered` (highest first) is the order. */
export function withOrder(config, ordered) {
  const priorities = new Map(ordered.map((c, i) => [c.id, (ordered.length - i) * 10]));
  return {...config, campaigns: config.campaigns.map((c) => ({...c, priority: priorities.get(c.id)}))};
}

/** The figures' revenue (an exact decimal in the shop currency), formatted for the admin's locale. */
function shopMoney(figures) {
  if (figures.revenue === null || !figures.currencyCode) return '—';
  try {
    return new Intl.NumberFormat(locale(), {style: 'currency', currency: figures.currencyCode}).format(figures.revenue);
  } catch {
    return `${figures.revenue} ${figures.currencyCode}`;
  }
}

export async function renderCampaigns(ctx, view) {
  const [live, figures, versions, catalog] = await Promise.all([
    ctx.api.campaigns(),
    loadFigures(ctx.api).catch(() => null),
    ctx.api.versions(),
    ctx.api.catalog().catch(() => null),
  ]);
  const config = live.config || {version: 1, campaigns: []};
  const campaigns = [...(config.campaigns || [])].sort(byPriority);
  const warnings = catalog ? catalogWarnings(config, indexCatalog(catalog)) : [];
  const status = h('p', {class: 'status-line', role: 'status'});

  const save = async (next, message) => {
    try {
      const saved = await ctx.api.saveCampaigns(next, live.version);
      ctx.toast(t(message, {version: saved.version}));
      ctx.navigate('/app/campaigns');
    } catch (error) {
      status.textContent = error.faults.length ? error.faults.map((f) => `${f.path}: ${f.message}`).join('; ') : error.message;
      status.classList.add('critical');
    }
  };
  const setStatus = (campaign, value) =>
    save({...config, campaigns: config.campaigns.map((c) => (c.id === campaign.id ? {...c, status: value} : c))}, value === 'paused' ? 'campaigns.paused' : 'campaigns.resumed');
  const move = (index, delta) => {
    const ordered = [...campaigns];
    const [moved] = ordered.splice(index, 1);
    ordered.splice(index + delta, 0, moved);
    return save(withOrder(config, ordered), 'campaigns.reordered');
  };

  append(view, [
    h(
      'div',
      {class: 'page-header'},
      h('h1', {}, t('campaigns.title')),
      h('div', {class: 'actions'}, h('a', {class: 'button primary', href: '/app/campaigns/new', onClick: (e) => ctx.navigate('/app/campaigns/new', e)}, t('campaigns.create'))),
    ),
    figures
      ? h(
          'p',
          {class: 'muted', 'data-testid': 'shop-figures'},
          figures.days
            ? t('campaigns.shopFiguresDays', {days: figures.days, shown: figures.shown, accepted: figures.accepted, revenue: shopMoney(figures)})
            : t('campaigns.shopFigures', {shown: figures.shown, accepted: figures.accepted, revenue: shopMoney(figures)}),
        )
      : null,
    status,
  ]);

  if (campaigns.length === 0) {
    view.append(h('section', {class: 'card empty'}, h('p', {}, t('campaigns.empty')), h('a', {href: '/app/start', onClick: (e) => ctx.navigate('/app/start', e)}, t('campaigns.emptyStart'))));
  } else {
    const rows = campaigns.map((c, i) => {
      const mine = warnings.filter((w) => w.campaignId === c.id);
      const perCampaign = figures?.perCampaign ? figures.perCampaign.get(c.id) || {shown: 0, accepted: 0} : null;
      const state = c.status || 'active';
      return h(
        'tr',
        {'data-campaign': c.id},
        h('td', {}, i + 1),
        h('th', {scope: 'row'}, h('a', {href: `/app/campaigns/edit/${encodeURIComponent(c.id)}`, onClick: (e) => ctx.navigate(`/app/campaigns/edit/${encodeURIComponent(c.id)}`, e)}, c.name || c.id), mine.length ? h('span', {class: 'badge warning', title: t('campaigns.warningsTitle')}, t('campaigns.warnings', {count: mine.length})) : null),
        h('td', {}, h('span', {class: `badge ${state}`}, t(`status.${state}`))),
        h('td', {class: 'num'}, c.priority ?? 0),
        h('td', {class: 'num'}, (c.steps || []).length),
        h('td', {class: 'num', 'data-testid': 'campaign-figures'}, perCampaign ? t('campaigns.figures', perCampaign) : '—'),
        h(
          'td',
          {},
          h(
          'div',
          {class: 'row-actions'},
          state === 'paused'
            ? h('button', {type: 'button', onClick: () => setStatus(c, 'active'), 'aria-label': t('campaigns.resumeNamed', {name: c.name || c.id})}, t('campaigns.resume'))
            : h('button', {type: 'button', onClick: () => setStatus(c, 'paused'), 'aria-label': t('campaigns.pauseNamed', {name: c.name || c.id})}, t('campaigns.pause')),
          h('button', {type: 'button', disabled: i === 0, onClick: () => move(i, -1), 'aria-label': t('campaigns.upNamed', {name: c.name || c.id})}, '↑'),
          h('button', {type: 'button', disabled: i === campaigns.length - 1, onClick: () => move(i, 1), 'aria-label': t('campaigns.downNamed', {name: c.name || c.id})}, '↓'),
          ),
        ),
      );
    });
    view.append(
      h(
        'section',
        {class: 'card'},
        h(
          'table',
          {class: 'table'},
          h('caption', {class: 'visually-hidden'}, t('campaigns.caption')),
          h('thead', {}, h('tr', {}, ['campaigns.order', 'campaigns.name', 'campaigns.status', 'campaigns.priority', 'campaigns.steps', 'campaigns.figuresHead', 'campaigns.actions'].map((k) => h('th', {scope: 'col'}, t(k))))),
          h('tbody', {}, rows),
        ),
      ),
    );
  }

  const when = (iso) => new Intl.DateTimeFormat(locale(), {dateStyle: 'medium', timeStyle: 'short'}).format(new Date(iso));
  const rollBack = async (v) => {
    const old = await ctx.api.version(v);
    await save(old.config, 'campaigns.rolledBack');
  };
  view.append(
    h(
      'section',
      {class: 'card', 'aria-labelledby': 'versions-title'},
      h('h2', {id: 'versions-title'}, t('versions.title')),
      versions.versions.length === 0
        ? h('p', {class: 'muted'}, t('versions.none'))
        : h(
            'ol',
            {class: 'versions', reversed: true},
            versions.versions.map((v) =>
              h(
                'li',
                {'data-version': v.version},
                h('span', {}, t('versions.item', {version: v.version, when: when(v.createdAt)})),
                v.version === live.version
                  ? h('span', {class: 'badge active'}, t('versions.live'))
                  : h('button', {type: 'button', onClick: () => rollBack(v.version)}, t('versions.rollBack', {version: v.version})),
              ),
            ),
          ),
    ),
  );
}
