// The offer engine in the browser (crates/encore-web's wasm, served by the real encore-server)
// in headless Chromium: on every offer Function fixture its answer equals the Function's
// recorded output (the offer's and the reasons' records, byte for byte); and in the campaign
// editor it validates as you type at the right field, prices the preview and simulates a
// purchase before saving.
//
//   ENCORE_SERVER_BIN=target/debug/encore-server npm test -w crates/encore-server/web
import assert from 'node:assert/strict';
import {mkdirSync, readdirSync, readFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {after, before, test} from 'node:test';
import {DEMO, launchChromium, startServer, useStandIn} from './support/server.js';

const serverBin = process.env.ENCORE_SERVER_BIN;
const skip = serverBin ? false : 'ENCORE_SERVER_BIN is not set: build encore-server and point ENCORE_SERVER_BIN at it';
const shots = resolve(process.env.ENCORE_SCREENSHOTS || join(import.meta.dirname, '../../../../target/admin-screenshots'));
const fixtures = join(import.meta.dirname, '../../../../tests/fixtures');

/** [name, input, recorded output] of every fixture: `*.input.json` and the benchmarks. */
export function fixturePairs() {
  return readdirSync(fixtures)
    .map((f) => f.match(/^(.+)\.input\.json$/)?.[1] ?? f.match(/^(bench-[a-z]+)\.json$/)?.[1])
    .filter(Boolean)
    .sort()
    .map((name) => {
      const input = readFileSync(join(fixtures, name.startsWith('bench-') ? `${name}.json` : `${name}.input.json`), 'utf8');
      return [name, input, JSON.parse(readFileSync(join(fixtures, `${name}.output.json`), 'utf8'))];
    });
}

let server;
let browser;
let page;

before(async () => {
  if (skip) return;
  mkdirSync(shots, {recursive: true});
  server = await startServer(serverBin);
  browser = await launchChromium();
  await useStandIn(browser.context, {secret: DEMO.secret, user: '4242'});
  page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('the browser engine answers every offer Function fixture exactly as the Function does', {skip}, async () => {
  const pairs = fixturePairs();
  assert.ok(pairs.length >= 50, `expected the fixture set, found ${pairs.length}`);
  await page.goto(`${server.url}/readyz`);
  const answers = await page.evaluate(async (inputs) => {
    const engine = await import('/admin-assets/js/engine.js');
    await engine.loadEngine();
    return inputs.map((input) => {
      try {
        return engine.functionOutput(JSON.parse(input));
      } catch (error) {
        return {refused: error.message};
      }
    });
  }, pairs.map(([, input]) => input));
  const differ = pairs.filter(([, , expected], i) => {
    try {
      assert.deepStrictEqual(answers[i], expected);
      return false;
    } catch {
      return true;
    }
  });
  assert.deepEqual(
    differ.map(([name]) => name),
    [],
    differ.map(([name, , expected]) => `${name}:\n  expected ${JSON.stringify(expected)}\n  got      ${JSON.stringify(answers[pairs.findIndex(([n]) => n === name)])}`).join('\n'),
  );
});

test('the editor validates as you type, prices the preview and simulates the purchase with the engine', {skip}, async () => {
  await page.goto(`${server.url}/app/campaigns/edit/phone-case?shop=${DEMO.shop}`);
  await page.waitForFunction(() => document.getElementById('main')?.dataset.ready && document.querySelector('[data-testid="simulation"]'));
  const simulation = page.getByTestId('simulation');

  // Buying the phone (the campaign's trigger) shows this campaign's offer: the case at 20% off.
  await simulation.getByTestId('sim-offer').waitFor();
  assert.match(await simulation.textContent(), /This campaign makes the offer \(step upsell\)/);
  assert.match(await simulation.getByTestId('sim-offer').textContent(), /Protect your new phone[\s\S]*\$23\.99/);
  const changes = JSON.parse(await page.getByTestId('sim-changes').textContent());
  // 20% of 29.99 rounds to 6.00 saved, not exactly 20%: Shopify is told the amount.
  assert.deepEqual(changes[0], {type: 'add_variant', variantId: '2101', quantity: 1, discount: {value: '6.00', valueType: 'fixed_amount', title: '20% off'}});
  assert.match(await page.getByTestId('price-preview').first().textContent(), /\$23\.99/);
  await page.getByRole('heading', {name: 'Try it on a purchase'}).scrollIntoViewIfNeeded();
  await page.screenshot({path: join(shots, 'editor-simulator.png'), fullPage: true});

  // 150% off: the engine's fault at the field as it is typed, no save; the preview and the
  // simulator say the same.
  const percent = page.getByLabel('Percent off').first();
  await percent.fill('150');
  await page.waitForFunction(() => document.querySelector('form.editor')?.dataset.faults === '1');
  assert.equal(await percent.getAttribute('aria-invalid'), 'true');
  const error = page.locator(`#${await percent.getAttribute('id')}-error`);
  assert.match(await error.textContent(), /must be between 0 and 100/);
  assert.match(await page.getByTestId('price-preview-refused').first().textContent(), /must be between 0 and 100/);
  await page.getByTestId('sim-none').waitFor();
  assert.match(await page.getByTestId('sim-reasons').textContent(), /CAMPAIGN_INVALID phone-case/);
  await page.screenshot({path: join(shots, 'editor-validation-as-you-type.png'), fullPage: true});

  // Back to 25%: the fault goes, the price follows the engine's rounding (29.99 → 22.49).
  await percent.fill('25');
  await page.waitForFunction(() => document.querySelector('form.editor')?.dataset.faults === '0');
  assert.equal(await percent.getAttribute('aria-invalid'), null);
  await simulation.getByTestId('sim-offer').waitFor();
  assert.match(await page.getByTestId('sim-offer').textContent(), /\$22\.49/);
  assert.match(await page.getByTestId('price-preview').first().textContent(), /\$22\.49/);

  // A purchase that does not trigger this campaign: another campaign's reason is shown.
  await page.getByLabel('Purchased variant 1').selectOption('2003');
  await page.waitForFunction(() => /phone-case/.test(document.querySelector('[data-testid="sim-reasons"]')?.textContent || ''));
  assert.match(await page.getByTestId('sim-reasons').textContent(), /TRIGGER_PRODUCTS_NOT_MATCHED phone-case/);
  assert.match(await simulation.textContent(), /Another campaign wins this purchase: coffee-refill/);

  // Nothing was saved.
  const live = await (await fetch(`${server.url}/api/campaigns?shop=${DEMO.shop}`, {headers: {Authorization: `Bearer ${DEMO.adminToken}`}})).json();
  assert.equal(live.config.campaigns.find((c) => c.id === 'phone-case').steps[0].offer.discount.percent, 20);
});
