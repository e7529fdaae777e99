// The bundled extension, as Shopify runs it, against a mocked Encore server on loopback and a
// mocked post-purchase API: what the buyer sees and what pressing the buttons does.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {
  buttonLabelled,
  findAll,
  inputDataFor,
  loadExtension,
  runPostPurchase,
  textOf,
  waitFor,
} from './support/extension-harness.js';
import {startMockEncoreServer} from './support/mock-encore-server.js';
import {fakeCheckout, offer, offerAnswer, processed, processedCalculation, unprocessed} from './support/fixtures.js';

const servers = [];
async function serverWith(options) {
  const server = await startMockEncoreServer(options);
  servers.push(server);
  return server;
}
after(() => Promise.all(servers.map((server) => server.close())));

async function extensionFor(server) {
  return loadExtension({serverUrl: server.url});
}

const headlineOf = (root) => findAll(root, 'CalloutBanner')[0]?.props.title;
const normalSpaces = (text) => text.replace(/[\u00a0\u202f]/g, ' ');

test('renders the offer: product, prices, savings, copy, cost breakdown, one-click accept', async () => {
  const server = await serverWith({offerAnswers: [offerAnswer(offer())]});
  const checkout = fakeCheckout();
  const {shouldRender, root} = await runPostPurchase(await extensionFor(server), {inputData: inputDataFor(), checkout});
  assert.deepEqual(shouldRender, {render: true});
  assert.equal(server.requests[0].authorization, undefined);
  assert.equal(server.requests[0].body.token, 'shopify-input-token');

  const accept = await waitFor(() => buttonLabelled(root, /Pay now · €27\.07/), {what: 'accept button with total'});
  assert.equal(headlineOf(root), 'Protect your new phone');
  const page = textOf(root);
  for (const shown of ['A slim case that fits', 'Slim case', 'Black', '€18.40', '20% off', 'You save €4.60']) {
    assert.ok(page.includes(shown), `page shows ${shown}: ${page}`);
  }
  const [struck] = findAll(root, 'Text').filter((text) => text.props.role === 'deletion');
  assert.equal(textOf(struck), '€23.00');
  assert.deepEqual(findAll(root, 'VisuallyHidden').map(textOf), ['Original price:', 'Offer price:']);
  const [image] = findAll(root, 'Image');
  assert.deepEqual([image.props.source, image.props.description], ['https://cdn.example.com/slim-case.png', 'Slim case']);
  const costLines = findAll(root, 'Tiles').map((tiles) => textOf(tiles));
  assert.deepEqual(costLines, ['Subtotal€18.40', 'Shipping€4.99', 'Taxes€3.68', 'Total€27.07']);
  assert.ok(buttonLabelled(root, /^Decline this offer$/));
  assert.equal(findAll(root, 'BuyerConsent').length, 0);

  accept.props.onPress();
  await waitFor(() => checkout.calls.done === 1, {what: 'done()'});
  assert.deepEqual(checkout.calls.applyChangeset, [{token: 'changeset-token-for-decision-1', options: undefined}]);
  // Reports are sent without waiting for each other: they may arrive in either order.
  assert.deepEqual(server.events().map((event) => event.event).sort(), ['accepted', 'shown']);
  assert.equal(findAll(root, 'Button').length, 0, 'nothing is left on the page once finished');
});

function deferred() {
  let resolve;
  const promise = new Promise((settle) => {
    resolve = settle;
  });
  return {promise, resolve};
}

test('shows a spinner while Shopify prices the offer, then the offer with its total; the buttons show progress', async () => {
  const server = await serverWith({offerAnswers: [offerAnswer(offer())]});
  const calculation = deferred();
  const application = deferred();
  const checkout = fakeCheckout({calculation: () => calculation.promise, applyResult: () => application.promise});
  const {root} = await runPostPurchase(await extensionFor(server), {inputData: inputDataFor(), checkout});

  const [spinner] = await waitFor(() => findAll(root, 'Spinner').length && findAll(root, 'Spinner'), {what: 'the spinner'});
  assert.equal(textOf(spinner), 'Loading your offer…');
  assert.equal(findAll(root, 'Button').length, 0, 'no offer before Shopify’s price is known');
  assert.deepEqual(server.events(), []);

  calculation.resolve(processedCalculation());
  const accept = await waitFor(() => buttonLabelled(root, /^Pay now · €27\.07$/), {what: 'the accept button with the total'});
  const decline = buttonLabelled(root, /^Decline this offer$/);
  assert.equal(findAll(root, 'Spinner').length, 0);
  assert.equal(findAll(root, 'Tiles').length, 4);
  assert.deepEqual([accept.props.disabled, accept.props.loading, decline.props.disabled], [false, false, false]);

  accept.props.onPress();
  await waitFor(() => accept.props.loading, {what: 'accept button loading'});
  assert.equal(accept.props.loadingLabel, 'Adding to your order…');
  assert.deepEqual([accept.props.disabled, decline.props.disabled, decline.props.loading], [true, true, false]);
  decline.props.onPress();
  application.resolve(processed());
  await waitFor(() => checkout.calls.done === 1, {what: 'done()'});
  assert.equal(checkout.calls.applyChangeset.length, 1);
  // Reports are sent without waiting for each other: they may arrive in either order.
  assert.deepEqual(server.events().map((event) => event.event).sort(), ['accepted', 'shown'], 'decline while busy does nothing');
  assert.equal(root.children.length, 0, 'the page is empty once finished');
});

test('speaks the buyer’s language: French strings and money', async () => {
  const frenchCopy = {locale: 'fr', headline: 'Protégez votre téléphone', body: 'Une coque fine.', acceptLabel: '', declineLabel: ''};
  const server = await serverWith({offerAnswers: [offerAnswer(offer({copy: frenchCopy}))]});
  const {root} = await runPostPurchase(await extensionFor(server), {
    inputData: inputDataFor({locale: 'fr-FR'}),
    checkout: fakeCheckout(),
  });
  await waitFor(() => buttonLabelled(root, /Payer maintenant/), {what: 'French accept button'});
  assert.equal(headlineOf(root), 'Protégez votre téléphone');
  const page = normalSpaces(textOf(root));
  for (const shown of ['Payer maintenant · 27,07 €', 'Refuser cette offre', 'Vous économisez 4,60 €', 'Sous-total', 'Expédition']) {
    assert.ok(page.includes(shown), `page shows ${shown}: ${page}`);
  }
});

test('decline shows the downsell the server answers next', async () => {
  const downsell = offer({decisionId: 'decision-2', stepId: 'downsell', copy: {...offer().copy, headline: 'Or just a screen protector?'}});
  const server = await serverWith({offerAnswers: [offerAnswer(offer()), offerAnswer(downsell)]});
  const checkout = fakeCheckout();
  const {root} = await runPostPurchase(await extensionFor(server), {inputData: inputDataFor(), checkout});
  const decline = await waitFor(() => buttonLabelled(root, /Decline/), {what: 'decline button'});
  decline.props.onPress();
  await waitFor(() => headlineOf(root) === 'Or just a screen protector?', {what: 'downsell'});
  await waitFor(() => server.events().length === 3, {what: 'the downsell reported shown'});
  assert.deepEqual(
    server.events().map((event) => `${event.event}:${event.decisionId}`),
    ['shown:decision-1', 'declined:decision-1', 'shown:decision-2'],
  );
  assert.equal(checkout.calls.done, 0);
});

test('at most three offers, then done()', async () => {
  const offers = [1, 2, 3, 4].map((n) =>
    offer({decisionId: `decision-${n}`, stepId: `step-${n}`, copy: {...offer().copy, headline: `Offer ${n}`}}),
  );
  const server = await serverWith({offerAnswers: offers.map((each) => offerAnswer(each))});
  const checkout = fakeCheckout();
  const {root} = await runPostPurchase(await extensionFor(server), {inputData: inputDataFor(), checkout});
  for (const n of [1, 2, 3]) {
    await waitFor(() => headlineOf(root) === `Offer ${n}` && buttonLabelled(root, /Decline/)?.props.disabled === false, {
      what: `offer ${n}`,
    });
    buttonLabelled(root, /Decline/).props.onPress();
  }
  await waitFor(() => checkout.calls.done === 1, {what: 'done()'});
  assert.equal(root.children.length, 0);
  assert.ok(!server.events().some((event) => event.decisionId === 'decision-4'), 'the fourth offer is never shown');
});

test('a subscription offer asks for consent before applying', async () => {
  const server = await serverWith({offerAnswers: [offerAnswer(offer({subscription: true}))]});
  const checkout = fakeCheckout();
  const {root} = await runPostPurchase(await extensionFor(server), {inputData: inputDataFor(), checkout});
  const accept = await waitFor(() => buttonLabelled(root, /Pay now/), {what: 'accept button'});
  const [consent] = findAll(root, 'BuyerConsent');
  assert.equal(consent.props.policy, 'subscriptions');
  assert.equal(consent.props.checked, false);
  accept.props.onPress();
  await waitFor(() => findAll(root, 'BuyerConsent')[0].props.error, {what: 'consent error'});
  assert.equal(checkout.calls.applyChangeset.length, 0);
  findAll(root, 'BuyerConsent')[0].props.onChange(true);
  await waitFor(() => findAll(root, 'BuyerConsent')[0].props.checked, {what: 'consent ticked'});
  buttonLabelled(root, /Pay now/).props.onPress();
  await waitFor(() => checkout.calls.done === 1, {what: 'done()'});
  assert.deepEqual(checkout.calls.applyChangeset[0].options, {buyerConsentToSubscriptions: true});
});

test('a payment error is explained briefly, then the buyer continues', async () => {
  const server = await serverWith({offerAnswers: [offerAnswer(offer())]});
  const checkout = fakeCheckout({applyResult: unprocessed('payment_required')});
  const {root} = await runPostPurchase(await extensionFor(server), {inputData: inputDataFor(), checkout});
  (await waitFor(() => buttonLabelled(root, /Pay now/), {what: 'accept button'})).props.onPress();
  const [banner] = await waitFor(() => findAll(root, 'Banner').length && findAll(root, 'Banner'), {what: 'notice'});
  assert.equal(banner.props.title, "This offer can't be added");
  assert.match(textOf(banner), /Your order is confirmed/);
  assert.equal(checkout.calls.done, 0);
  buttonLabelled(root, /Continue/).props.onPress();
  await waitFor(() => checkout.calls.done === 1, {what: 'done()'});
});

test('a server that does not answer in time: ShouldRender renders nothing after ~1.2 s', async () => {
  const server = await serverWith({offerAnswers: [offerAnswer(offer())], delayMs: 3000});
  const extension = await extensionFor(server);
  const started = Date.now();
  const {shouldRender, root} = await runPostPurchase(extension, {
    inputData: inputDataFor(),
    checkout: fakeCheckout(),
  });
  const waited = Date.now() - started;
  assert.deepEqual(shouldRender, {render: false});
  assert.equal(root, null);
  assert.ok(waited >= 1100 && waited < 3000, `waited ${waited} ms`);
});

test('a build without a server URL renders nothing and sends nothing', async () => {
  const server = await serverWith({offerAnswers: [offerAnswer(offer())]});
  const extension = await loadExtension({serverUrl: ''});
  const {shouldRender} = await runPostPurchase(extension, {inputData: inputDataFor(), checkout: fakeCheckout()});
  assert.deepEqual(shouldRender, {render: false});
  assert.equal(server.requests.length, 0);
});
