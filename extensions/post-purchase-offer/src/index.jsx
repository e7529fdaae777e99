// Encore's post-purchase extension: the entry the Shopify CLI bundles. The logic lives in plain
// modules (offer-flow.js, should-render.js, encore-client.js) so it runs in Node tests as it is.
import {extend, render} from '@shopify/post-purchase-ui-extensions-react';
import {useEffect, useState} from 'react';
import {serverUrl} from './config.js';
import {createEncoreClient} from './encore-client.js';
import {createOfferFlow} from './offer-flow.js';
import {shouldRender, storedOffer} from './should-render.js';
import {OfferPage} from './ui/OfferPage.jsx';

const clientFor = (inputData) => createEncoreClient({serverUrl, token: inputData.token});

extend('Checkout::PostPurchase::ShouldRender', (api) => shouldRender(api, clientFor(api.inputData)));

render('Checkout::PostPurchase::Render', (api) => <PostPurchaseOffer api={api} />);

function PostPurchaseOffer({api}) {
  const [state, setState] = useState(null);
  const [flow] = useState(() =>
    createOfferFlow({
      firstOffer: storedOffer(api.storage),
      client: clientFor(api.inputData),
      checkout: api,
      onChange: setState,
    }),
  );
  useEffect(() => {
    flow.start();
  }, [flow]);
  return <OfferPage flow={flow} state={state} locale={api.inputData.locale ?? api.locale} />;
}
