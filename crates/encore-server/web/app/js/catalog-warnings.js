// Warnings about a configuration against the synced catalog: a campaign that names a variant
// or product Encore does not know (deleted, archived, not synced) or a variant that cannot be
// sold now (tracked, policy DENY, nothing available) offers nothing there.

/** Variants and products by id from GET /api/catalog. */
export function indexCatalog(catalog) {
  const variants = new Map();
  const products = new Map();
  for (const p of catalog?.products || []) {
    products.set(String(p.id), p);
    for (const v of p.variants || []) variants.set(String(v.id), {...v, product: p});
  }
  return {variants, products};
}

export function outOfStock(variant, quantity = 1) {
  const inv = variant.inventory || {};
  return Boolean(inv.tracked) && inv.policy !== 'CONTINUE' && Number(inv.available) < quantity;
}

/** The variant ids an offer names (entries are an id or a list of 1–2 ids). */
export function offerVariantIds(offer) {
  return (Array.isArray(offer?.products) ? offer.products : []).flat().map(String);
}

/**
 * [{campaignId, stepId, id, kind}] with kind one of "variantMissing", "outOfStock",
 * "productMissing" (a trigger or exclusion names an unknown product).
 */
export function catalogWarnings(config, index) {
  const warnings = [];
  for (const campaign of config?.campaigns || []) {
    for (const step of campaign.steps || []) {
      const quantity = Number(step.offer?.quantity) || 1;
      for (const id of offerVariantIds(step.offer)) {
        const variant = index.variants.get(id);
        if (!variant) warnings.push({campaignId: campaign.id, stepId: step.id, id, kind: 'variantMissing'});
        else if (outOfStock(variant, quantity)) warnings.push({campaignId: campaign.id, stepId: step.id, id, kind: 'outOfStock'});
      }
    }
    const named = [...(campaign.triggers?.products || []), ...(campaign.triggers?.exclude?.products || [])];
    for (const id of named.map(String)) {
      if (!index.products.has(id)) warnings.push({campaignId: campaign.id, stepId: null, id, kind: 'productMissing'});
    }
  }
  return warnings;
}
