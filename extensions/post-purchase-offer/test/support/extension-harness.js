// Runs the real extension entry (src/index.jsx) in Node: bundled with esbuild the way the
// Shopify CLI bundles it, registered through a stand-in for the worker's `shopify` global, and
// rendered into a remote-ui root connected to a remote-ui receiver, the host side Shopify's
// checkout renders from. The tests read the receiver's tree (what the checkout would show: only
// what the extension mounted and sent) and press its buttons like a buyer would.
import {createRemoteReceiver, createRemoteRoot} from '@remote-ui/core';
import {build} from 'esbuild';
import {fileURLToPath} from 'node:url';

const entry = fileURLToPath(new URL('../../src/index.jsx', import.meta.url));

/** The extension's registered extension points, built for the given Encore server URL. */
export async function loadExtension({serverUrl}) {
  const {outputFiles} = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es6',
    jsx: 'automatic',
    loader: {'.js': 'jsx'},
    logLevel: 'silent',
    define: {
      'process.env.NODE_ENV': JSON.stringify('production'),
      'process.env.ENCORE_SERVER_URL': JSON.stringify(serverUrl ?? ''),
    },
  });
  const extensionPoints = {};
  const shopify = {
    extend(name, callback) {
      extensionPoints[name] = callback;
    },
  };
  new Function('self', outputFiles[0].text)({shopify});
  return extensionPoints;
}

/**
 * Runs ShouldRender, then (when it asks to render) Render with what ShouldRender stored.
 * `root` is the receiver's (host's) tree; `remoteRoot` the extension's side of it.
 */
export async function runPostPurchase(extensionPoints, {inputData, checkout}) {
  const stored = {};
  const shouldRender = await extensionPoints['Checkout::PostPurchase::ShouldRender']({
    extensionPoint: 'Checkout::PostPurchase::ShouldRender',
    inputData,
    storage: {
      initialData: undefined,
      async update(data) {
        stored.data = data;
      },
    },
  });
  if (!shouldRender.render) return {shouldRender, root: null};
  const receiver = createRemoteReceiver();
  const remoteRoot = createRemoteRoot(receiver.receive);
  extensionPoints['Checkout::PostPurchase::Render'](remoteRoot, {
    ...checkout,
    extensionPoint: 'Checkout::PostPurchase::Render',
    locale: inputData.locale,
    inputData,
    storage: {initialData: stored.data, update: async () => {}},
  });
  return {shouldRender, root: receiver.attached.root, receiver, remoteRoot};
}

export function inputDataFor({token = 'shopify-input-token', locale = 'en'} = {}) {
  return {
    extensionPoint: 'Checkout::PostPurchase::ShouldRender',
    locale,
    token,
    version: 'unstable',
    shop: {id: 1, domain: 'encore-demo.myshopify.com', metafields: []},
    initialPurchase: {
      referenceId: 'purchase-1',
      totalPriceSet: {
        shopMoney: {amount: '100.00', currencyCode: 'USD'},
        presentmentMoney: {amount: '92.00', currencyCode: 'EUR'},
      },
      lineItems: [],
    },
  };
}

/** Every component of a type in the rendered tree, in document order. */
export function findAll(node, type, found = []) {
  for (const child of node.children ?? []) {
    if (child.type === type) found.push(child);
    findAll(child, type, found);
  }
  return found;
}

/** The text a node shows, its descendants' text joined. */
export function textOf(node) {
  if (typeof node.text === 'string') return node.text;
  return (node.children ?? []).map(textOf).join('');
}

export function buttonLabelled(root, pattern) {
  return findAll(root, 'Button').find((button) => pattern.test(textOf(button)));
}

/** Polls until `check` returns something truthy (requests and Shopify's API are asynchronous). */
export async function waitFor(check, {timeoutMs = 3000, what = 'condition'} = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
