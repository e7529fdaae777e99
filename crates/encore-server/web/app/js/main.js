// The admin's entry point: App Bridge (or its stand-in in tests), the shop, the locale, the
// navigation and the page router. Pages are plain functions of (ctx, main, params).
import {createApi} from './api.js';
import {createAuthorizedFetch} from './auth.js';
import {clear, h} from './dom.js';
import {setLocale, t} from './i18n.js';
import {renderAnalytics} from './analytics.js';
import {renderCampaigns} from './campaigns.js';
import {renderEditor} from './editor.js';
import {renderHistory} from './history.js';
import {renderStart} from './start.js';
import {renderStatus} from './status.js';
import {renderWhy} from './why.js';
import {warmEngine} from './engine.js';

const NAV = [
  ['/app/campaigns', 'nav.campaigns'],
  ['/app/analytics', 'nav.analytics'],
  ['/app/history', 'nav.history'],
  ['/app/why', 'nav.why'],
  ['/app/status', 'nav.status'],
  ['/app/start', 'nav.start'],
];

/** The page for a path, and its parameters. */
function route(path) {
  const p = path.replace(/\/+$/, '');
  let m;
  if (p === '' || p === '/app' || p === '/app/campaigns') return [renderCampaigns, {}, '/app/campaigns'];
  if (p === '/app/campaigns/new') return [renderEditor, {id: null}, '/app/campaigns'];
  if ((m = /^\/app\/campaigns\/edit\/([^/]+)$/.exec(p))) return [renderEditor, {id: decodeURIComponent(m[1])}, '/app/campaigns'];
  if (p === '/app/analytics') return [renderAnalytics, {}, p];
  if (p === '/app/history') return [renderHistory, {}, p];
  if (p === '/app/why') return [renderWhy, {}, p];
  if (p === '/app/status') return [renderStatus, {}, p];
  if (p === '/app/start') return [renderStart, {}, p];
  return [renderCampaigns, {}, '/app/campaigns'];
}

function renderNav(nav, active, navigate) {
  clear(nav).append(
    h('span', {class: 'brand'}, 'Encore'),
    h(
      'ul',
      {},
      NAV.map(([path, key]) =>
        h(
          'li',
          {},
          h('a', {href: path, 'aria-current': path === active ? 'page' : null, onClick: (e) => navigate(path, e)}, t(key)),
        ),
      ),
    ),
  );
}

async function boot() {
  const main = document.getElementById('main');
  const params = new URLSearchParams(location.search);
  const bridge = window.shopify;
  setLocale(bridge?.config?.locale || params.get('locale') || navigator.language);
  document.querySelector('.skip').textContent = t('common.skip');
  for (const link of document.querySelectorAll('ui-nav-menu a[href]')) {
    const item = NAV.find(([path]) => path === link.getAttribute('href'));
    if (item) link.textContent = t(item[1]);
  }
  if (!bridge || typeof bridge.idToken !== 'function') {
    clear(main).append(h('div', {class: 'banner critical', role: 'alert'}, h('h1', {}, t('boot.noBridge.title')), h('p', {}, t('boot.noBridge.body'))));
    return;
  }
  const shop = bridge.config?.shop || params.get('shop');
  if (!shop) {
    clear(main).append(h('div', {class: 'banner critical', role: 'alert'}, h('p', {}, t('boot.noShop'))));
    return;
  }
  const api = createApi(createAuthorizedFetch({idToken: () => bridge.idToken()}), shop);
  const nav = document.getElementById('nav');
  let generation = 0;
  const ctx = {
    api,
    shop,
    toast: (message, isError = false) => {
      if (typeof bridge.toast?.show === 'function') bridge.toast.show(message, {isError});
      const live = document.getElementById('live');
      if (live) live.textContent = message;
    },
    navigate: (path, event) => {
      if (event) {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button) return;
        event.preventDefault();
      }
      history.pushState({}, '', path + location.search);
      show().then(() => main.focus());
    },
  };
  document.body.append(h('div', {id: 'live', class: 'visually-hidden', role: 'status', 'aria-live': 'polite'}));
  async function show() {
    const mine = ++generation;
    const [page, pageParams, active] = route(location.pathname);
    renderNav(nav, active, ctx.navigate);
    clear(main).append(h('p', {class: 'muted'}, t('common.loading')));
    try {
      const view = h('div', {class: 'page'});
      await page(ctx, view, pageParams);
      if (mine !== generation) return;
      clear(main).append(view);
    } catch (error) {
      if (mine !== generation) return;
      clear(main).append(h('div', {class: 'banner critical', role: 'alert'}, h('p', {}, t('common.loadFailed', {message: error.message}))));
    }
    main.dataset.ready = String(mine);
  }
  window.addEventListener('popstate', show);
  await show();
  // The offer engine, compiled and run once while the merchant reads the first page, so the
  // simulator's first decision is as fast as the next ones (engine.js).
  const idle = window.requestIdleCallback || ((f) => setTimeout(f, 200));
  idle(() => warmEngine().catch(() => {}), {timeout: 2000});
}

boot();
