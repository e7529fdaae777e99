// The simulator's purchase as the offer Function's input (input.graphql's shape), built from
// the admin's catalog (GET /api/catalog) and a configuration that is not saved yet: the same
// input the server builds for a real purchase, in the buyer's shop currency, with the shop's
// co-purchase pairs of the products bought and no earlier offers or statistics.
import {parseMinor, toDecimal} from './money.js';

/** The catalog's variants as the Function's `catalog` list (each with its product's facts). */
export function catalogInput(catalog) {
  return (catalog?.products || []).flatMap((p) =>
    (p.variants || []).map((v) => ({
      ...v,
      product: {id: String(p.id), title: p.title ?? '', imageUrl: p.imageUrl ?? null, productType: p.productType ?? null, vendor: p.vendor ?? null, tags: p.tags || [], collectionIds: p.collectionIds || []},
    })),
  );
}

/** The product ids a purchase of `lines` buys, as the server looks their co-purchase pairs up. */
export function purchasedProducts(catalog, lines) {
  const variants = catalogInput(catalog);
  const ids = lines.map((line) => variants.find((x) => String(x.id) === String(line.variantId))?.product.id).filter(Boolean);
  return [...new Set(ids)].sort();
}

/**
 * The Function input for a simulated purchase of `lines` ([{variantId, quantity, unitPrice?}],
 * catalog variants, at their catalog prices unless a line says what was paid) by a buyer with
 * `orders` orders (0: no customer account) — or `customer` ({id, numberOfOrders, amountSpent,
 * tags}, a past order's) —, with the shop's `coPurchases` pairs of the products bought (the
 * server's answer for them), or `{error}` naming the variant that cannot be priced.
 */
export function simulationInput({config, catalog, currency, exponent, lines, country, orders, customer = null, coPurchases = [], locale, now = new Date()}) {
  const variants = catalogInput(catalog);
  const purchased = [];
  let total = 0n;
  for (const line of lines) {
    const v = variants.find((x) => String(x.id) === String(line.variantId));
    const unit = v ? parseMinor(line.unitPrice ?? v.price, exponent) : null;
    if (!v || unit === null) return {error: line.variantId};
    const lineTotal = unit * BigInt(line.quantity);
    total += lineTotal;
    purchased.push({
      quantity: line.quantity,
      totalPriceSet: {shopMoney: {amount: toDecimal(lineTotal, exponent), currencyCode: currency}},
      product: {id: v.product.id, title: v.product.title, variant: {id: String(v.id), title: v.title ?? null}, tags: v.product.tags, productType: v.product.productType, vendor: v.product.vendor, collectionIds: v.product.collectionIds},
    });
  }
  const amount = toDecimal(total, exponent);
  const buyer = customer
    ? {id: String(customer.id), numberOfOrders: customer.numberOfOrders, amountSpent: {amount: customer.amountSpent, currencyCode: currency}, tags: customer.tags || []}
    : orders > 0
      ? {id: 'simulated-customer', numberOfOrders: orders, amountSpent: {amount, currencyCode: currency}, tags: []}
      : null;
  const bought = new Set(purchased.map((line) => line.product.id));
  return {
    input: {
      locale,
      now: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      shop: {currencyCode: currency, metafield: config ? {jsonValue: config} : null},
      funnel: {campaignId: null, stepId: null, offersShown: 0, offersAccepted: 0, acceptedVariantIds: [], acceptedProductIds: []},
      customer: buyer,
      purchase: {
        referenceId: 'simulation',
        customerId: buyer ? buyer.id : null,
        destinationCountryCode: country || null,
        totalPriceSet: {shopMoney: {amount, currencyCode: currency}, presentmentMoney: {amount, currencyCode: currency}},
        lines: purchased,
      },
      offerStats: [],
      coPurchases: coPurchases.filter((pair) => bought.has(String(pair.productId))),
      catalog: variants,
    },
  };
}
