// Offers and Shopify answers shaped like the Encore server's and Shopify's, for the tests.

/**
 * An offer as the Encore server sends it: one product, 20% off, in EUR for a USD shop. Prices
 * are of the whole quantity; `presentmentOfferPrice` sets the buyer's price for a `quantity`.
 */
export function offer({
  decisionId = 'decision-1',
  stepId = 'upsell',
  subscription = false,
  quantity = 1,
  presentmentOfferPrice = '18.40',
  ...overrides
} = {}) {
  const variantId = 222;
  return {
    decisionId,
    campaignId: 'phone-case',
    stepId,
    experimentId: null,
    armId: null,
    products: [
      {
        productId: '111',
        variantId: String(variantId),
        title: 'Slim case',
        variantTitle: 'Black',
        imageUrl: 'https://cdn.example.com/slim-case.png',
        quantity,
        sellingPlanId: subscription ? '333' : null,
        shopPrices: {
          currencyCode: 'USD',
          originalPrice: '25.00',
          offerPrice: '20.00',
          savings: '5.00',
          compareAtPrice: '30.00',
          savingsPercent: 20,
        },
        presentmentPrices: {
          currencyCode: 'EUR',
          originalPrice: '23.00',
          offerPrice: presentmentOfferPrice,
          savings: '4.60',
          compareAtPrice: '27.60',
          savingsPercent: 20,
        },
      },
    ],
    copy: {
      locale: 'en',
      headline: 'Protect your new phone',
      body: 'A slim case that fits the phone you just bought.',
      acceptLabel: 'Pay now',
      declineLabel: 'Decline this offer',
    },
    changes: [
      subscription
        ? {
            type: 'add_subscription',
            variantId,
            sellingPlanId: 333,
            quantity: 1,
            initialShippingPrice: 0,
            recurringShippingPrice: 0,
            shippingOption: {title: 'Standard'},
            discount: {value: 20, valueType: 'percentage', title: 'Encore offer'},
          }
        : {
            type: 'add_variant',
            variantId,
            quantity,
            discount: {value: 5, valueType: 'fixed_amount', title: 'Encore offer'},
          },
      {type: 'set_metafield', namespace: 'encore', key: 'offer', value: '{}', valueType: 'json_string'},
    ],
    changesetToken: `changeset-token-for-${decisionId}`,
    ...overrides,
  };
}

export function offerAnswer(...offers) {
  return {render: offers.length > 0, offers, reasons: []};
}

const moneyBag = (amount, currencyCode = 'EUR') => ({
  shopMoney: {amount, currencyCode: 'USD'},
  presentmentMoney: {amount, currencyCode},
});

/**
 * calculateChangeset's answer for the fixture offer: 18.40 + 4.99 shipping + 3.68 taxes; the
 * offer's line may be given another discounted total and quantity.
 */
export function processedCalculation({lineTotal = '18.40', quantity = 1} = {}) {
  return {
    status: 'processed',
    errors: [],
    calculatedPurchase: {
      subtotalPriceSet: moneyBag('118.40'),
      totalPriceSet: moneyBag('127.07'),
      totalOutstandingSet: moneyBag('27.07'),
      updatedLineItems: [
        {
          productId: 111,
          variantId: 222,
          quantity,
          productHandle: 'slim-case',
          priceSet: moneyBag('23.00'),
          totalPriceSet: moneyBag(lineTotal),
        },
      ],
      addedShippingLines: [{priceSet: moneyBag('4.99'), presentmentTitle: 'Standard'}],
      addedTaxLines: [{priceSet: moneyBag('3.68'), rate: 0.2, title: 'TVA'}],
    },
  };
}

/** A Render/ShouldRender API with every Shopify call recorded. */
export function fakeCheckout({calculation = processedCalculation(), applyResult = processed(), initialData} = {}) {
  const calls = {calculateChangeset: [], applyChangeset: [], done: 0, storage: []};
  const checkout = {
    calls,
    storage: {
      initialData,
      async update(data) {
        calls.storage.push(data);
      },
    },
    async calculateChangeset(changeset) {
      calls.calculateChangeset.push(changeset);
      return typeof calculation === 'function' ? calculation(changeset) : calculation;
    },
    async applyChangeset(token, options) {
      calls.applyChangeset.push({token, options});
      return typeof applyResult === 'function' ? applyResult(token, options) : applyResult;
    },
    async done() {
      calls.done += 1;
    },
  };
  return checkout;
}

export function processed(changesetApplicationsRemaining = 2) {
  return {status: 'processed', errors: [], changesetApplicationsRemaining};
}

export function unprocessed(code, changesetApplicationsRemaining = 3) {
  return {status: 'unprocessed', errors: [{code, message: `${code} from Shopify`}], changesetApplicationsRemaining};
}
