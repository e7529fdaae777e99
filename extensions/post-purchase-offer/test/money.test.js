import assert from 'node:assert/strict';
import {test} from 'node:test';
import {addAmounts, formatMoney} from '../src/money.js';

test('formats amounts by the buyer locale and currency', () => {
  assert.equal(formatMoney('18.4', 'EUR', 'en'), '€18.40');
  assert.equal(formatMoney('18.40', 'EUR', 'fr').replace(/\s/g, ' '), '18,40 €');
  assert.equal(formatMoney('1250', 'JPY', 'ja'), '￥1,250');
  assert.equal(formatMoney('20.00', 'USD', 'en-US'), '$20.00');
});

test('an unknown currency still shows the exact amount', () => {
  assert.equal(formatMoney('5.00', 'NOT-A-CURRENCY', 'en'), '5.00 NOT-A-CURRENCY');
});

test('adds decimal amounts exactly', () => {
  assert.equal(addAmounts(['0.10', '0.2']), '0.30');
  assert.equal(addAmounts(['18.40', '4.99', '3.68']), '27.07');
  assert.equal(addAmounts(['1250', '1']), '1251');
  assert.equal(addAmounts(['-0.50', '0.20']), '-0.30');
  assert.equal(addAmounts([]), '0');
});
