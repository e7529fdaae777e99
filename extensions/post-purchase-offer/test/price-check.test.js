import assert from 'node:assert/strict';
import {test} from 'node:test';
import {checkOfferPrice} from '../src/price-check.js';
import {offer, processedCalculation} from './support/fixtures.js';

/** A calculateChangeset line for a variant with its discounted totals in both currencies. */
function line(variantId, {eur, usd, quantity = 1}) {
  return {
    productId: 111,
    variantId,
    quantity,
    productHandle: 'item',
    priceSet: {shopMoney: {amount: usd, currencyCode: 'USD'}, presentmentMoney: {amount: eur, currencyCode: 'EUR'}},
    totalPriceSet: {shopMoney: {amount: usd, currencyCode: 'USD'}, presentmentMoney: {amount: eur, currencyCode: 'EUR'}},
  };
}

function calculationWith(lines) {
  const calculation = processedCalculation();
  calculation.calculatedPurchase.updatedLineItems = lines;
  return calculation;
}

test('a whole-quantity offer price that Shopify’s discounted line total confirms passes', () => {
  const twoUnits = offer({quantity: 2, presentmentOfferPrice: '36.80'});
  assert.deepEqual(checkOfferPrice(twoUnits, calculationWith([line(222, {eur: '36.80', usd: '40.00', quantity: 2})])), {ok: true});
});

test('a fixed discount Shopify applies per unit is a mismatch, in the buyer’s currency', () => {
  const twoUnits = offer({quantity: 2, presentmentOfferPrice: '36.80'});
  assert.deepEqual(checkOfferPrice(twoUnits, calculationWith([line(222, {eur: '32.20', usd: '35.00', quantity: 2})])), {
    ok: false,
    currencyCode: 'EUR',
    expected: '36.80',
    calculated: '32.20',
  });
});

test('a Markets fixed price that differs only in the buyer’s currency is a mismatch', () => {
  // The shop-currency amount agrees with the offer's shopPrices (20.00 USD); the buyer pays 19.00 EUR.
  const result = checkOfferPrice(offer(), calculationWith([line(222, {eur: '19.00', usd: '20.00'})]));
  assert.deepEqual(result, {ok: false, currencyCode: 'EUR', expected: '18.40', calculated: '19.00'});
});

test('amounts are compared as decimals, not as text', () => {
  assert.deepEqual(checkOfferPrice(offer(), calculationWith([line('222', {eur: '18.4', usd: '20'})])), {ok: true});
});

test('an offer without presentment prices is compared in the shop currency', () => {
  const shopOnly = offer();
  shopOnly.products = shopOnly.products.map(({presentmentPrices, ...product}) => product);
  assert.deepEqual(checkOfferPrice(shopOnly, calculationWith([line(222, {eur: '18.40', usd: '20.00'})])), {ok: true});
  assert.deepEqual(checkOfferPrice(shopOnly, calculationWith([line(222, {eur: '18.40', usd: '40.00'})])), {
    ok: false,
    currencyCode: 'USD',
    expected: '20.00',
    calculated: '40.00',
  });
});

test('no line for an offered variant, or none in the offer’s currency, cannot be confirmed', () => {
  const missing = checkOfferPrice(offer(), calculationWith([line(999, {eur: '18.40', usd: '20.00'})]));
  assert.deepEqual(missing, {ok: false, currencyCode: 'EUR', expected: '18.40', calculated: null});
  const otherCurrency = calculationWith([line(222, {eur: '18.40', usd: '20.00'})]);
  otherCurrency.calculatedPurchase.updatedLineItems[0].totalPriceSet.presentmentMoney.currencyCode = 'GBP';
  assert.equal(checkOfferPrice(offer(), otherCurrency).calculated, null);
  assert.equal(checkOfferPrice(offer(), {status: 'unprocessed', errors: []}).calculated, null);
});

test('every product of a two-product offer must agree', () => {
  const pair = offer();
  pair.products = [pair.products[0], {...pair.products[0], variantId: '223', presentmentPrices: {...pair.products[0].presentmentPrices, offerPrice: '5.00'}}];
  const both = [line(222, {eur: '18.40', usd: '20.00'}), line(223, {eur: '5.00', usd: '6.00'})];
  assert.deepEqual(checkOfferPrice(pair, calculationWith(both)), {ok: true});
  both[1] = line(223, {eur: '5.01', usd: '6.00'});
  assert.deepEqual(checkOfferPrice(pair, calculationWith(both)), {ok: false, currencyCode: 'EUR', expected: '23.40', calculated: '23.41'});
});
