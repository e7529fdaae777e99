// Encore's post-purchase extension: the entry the Shopify CLI bundles. The logic lives in plain
// modules (offer-flow.js, should-render.js, encore-client.js) so it runs in Node tests as it is.
// The page is drawn straight onto Shopify's remote-ui root (ui/remote-render.js), without React:
// React and its reconciler alone were ~32 kB gzip of the bundle.
import {extend} from '@shopify/post-purchase-ui-extensions';
import {serverUrl} from './config.js';
import {createEncoreClient} from './encore-client.js';
import {createOfferFlow} from './offer-flow.js';
import {shouldRender, storedOffer} from './should-render.js';
import {offerPage} from './ui/OfferPage.jsx';
import {renderer} from './ui/remote-render.js';

const clientFor = (inputData) => createEncoreClient({serverUrl, token: inputData.token});

extend('Checkout::PostPurchase::ShouldRender', (api) => shouldRender(api, clientFor(api.inputData)));

extend('Checkout::PostPurchase::Render', (root, api) => {
  const render = renderer(root);
  const flow = createOfferFlow({
    firstOffer: storedOffer(api.storage),
    client: clientFor(api.inputData),
    checkout: api,
    onChange: (state) => render(page(state)),
  });
  const page = offerPage({flow, locale: api.inputData.locale ?? api.locale});
  flow.start();
  root.mount();
});
