// Where the admin's figures come from. Today: the shop-wide GET /api/analytics/summary. The
// attribution-based analytics API (per campaign, over time, net of refunds) plugs in here, and
// only here: pages read the shape this module returns.

/**
 * @returns {Promise<{currencyCode: string, decisions: number, offers: number, shown: number,
 *   accepted: number, declined: number, revenue: string|null, perCampaign: Map<string, object>|null}>}
 */
export async function loadFigures(api) {
  const s = await api.summary();
  return {
    currencyCode: s.acceptedRevenue?.currencyCode,
    decisions: s.decisions,
    offers: s.offers,
    shown: s.offersShown,
    accepted: s.accepted,
    declined: s.declined,
    revenue: s.acceptedRevenue?.amount ?? null,
    // The summary has no per-campaign breakdown yet.
    perCampaign: null,
  };
}
