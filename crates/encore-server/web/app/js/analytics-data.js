// Where the admin's figures come from: GET /api/analytics (docs/analytics.md) over a range of UTC
// days, read into the shape the pages draw. Amounts become BigInt minor units of the shop
// currency (parsed from the server's exact decimal text with the currency's ISO 4217 exponent),
// never floats; rates stay the server's ratios.
import {parseMinor} from './money.js';

/** Signed minor units (BigInt) of an API amount {amount: "-12.50"} with `exponent` digits. */
export function minorOf(money, exponent) {
  if (money === null || money === undefined) return null;
  const text = String(money.amount ?? '');
  const negative = text.startsWith('-');
  const minor = parseMinor(negative ? text.slice(1) : text, exponent);
  if (minor === null) throw new Error(`the server sent an amount that is not a ${exponent}-decimal number: ${text}`);
  return negative ? -minor : minor;
}

/** A figures object of the report, with amounts in minor units. */
export function readFigures(f, exponent) {
  return {
    shown: f.offersShown,
    accepted: f.accepted,
    declined: f.declined,
    conversionRate: f.conversionRate,
    confirmed: f.confirmed,
    pending: f.pending,
    unconfirmed: f.unconfirmed,
    confirmedUnits: f.confirmedUnits,
    revenue: minorOf(f.confirmedRevenue, exponent),
    refundedUnits: f.refundedUnits,
    refunded: minorOf(f.refundedAmount, exponent),
    refundRate: f.refundRate,
    net: minorOf(f.netRevenue, exponent),
    perShown: minorOf(f.revenuePerOfferShown, exponent),
  };
}

/** Every UTC day from `from` to `to` (YYYY-MM-DD), both included. */
export function daysBetween(from, to) {
  const out = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= end; at += 86400000) out.push(new Date(at).toISOString().slice(0, 10));
  return out;
}

/** The day rows summed per day over campaigns, steps and arms; a day without decisions is zeros. */
export function perDay(report, exponent) {
  const days = new Map(daysBetween(report.from, report.to).map((day) => [day, {day, shown: 0, accepted: 0, revenue: 0n, refunded: 0n, net: 0n}]));
  for (const row of report.days) {
    const d = days.get(row.day);
    if (!d) continue;
    const f = readFigures(row, exponent);
    d.shown += f.shown;
    d.accepted += f.accepted;
    d.revenue += f.revenue;
    d.refunded += f.refunded;
    d.net += f.net;
  }
  return [...days.values()];
}

/**
 * The refund-rate guardrail of a campaign (`guardrails` over `defaults.guardrails` over Encore's
 * defaults, docs/campaigns.md): {percent, minAccepts}.
 */
export function refundGuardrail(config, campaignId) {
  const campaign = config?.campaigns?.find((c) => c.id === campaignId);
  const pick = (key, fallback) => {
    const value = campaign?.guardrails?.[key] ?? config?.defaults?.guardrails?.[key] ?? fallback;
    const n = Number(value);
    return Number.isFinite(n) ? n : fallback;
  };
  return {percent: pick('refundRatePausePercent', 5), minAccepts: pick('refundRateMinAccepts', 20)};
}

/** Each offer (campaign × step), summed over experiment arms, with its refund guardrail. */
export function perOffer(report, exponent, config) {
  const offers = new Map();
  for (const g of report.groups) {
    const key = `${g.campaignId}\u0000${g.stepId}`;
    const f = readFigures(g, exponent);
    const o = offers.get(key) || {campaignId: g.campaignId, stepId: g.stepId, shown: 0, accepted: 0, confirmedUnits: 0, refundedUnits: 0, revenue: 0n, net: 0n};
    o.shown += f.shown;
    o.accepted += f.accepted;
    o.confirmedUnits += f.confirmedUnits;
    o.refundedUnits += f.refundedUnits;
    o.revenue += f.revenue;
    o.net += f.net;
    offers.set(key, o);
  }
  return [...offers.values()].map((o) => ({
    ...o,
    refundRate: o.confirmedUnits > 0 ? o.refundedUnits / o.confirmedUnits : null,
    guardrail: refundGuardrail(config, o.campaignId),
  }));
}

function readLift(l, exponent) {
  return {
    purchases: l.purchases,
    originalValue: minorOf(l.originalValue, exponent),
    offerNet: minorOf(l.offerNetRevenue, exponent),
    before: minorOf(l.aovBefore, exponent),
    after: minorOf(l.aovAfter, exponent),
    lift: l.lift,
  };
}

/** The report in the pages' shape (see the module comment). */
export function readReport(report, exponent, config) {
  return {
    currency: {code: report.currencyCode, exponent},
    from: report.from,
    to: report.to,
    windowMinutes: report.attributionWindowMinutes,
    totals: readFigures(report.totals, exponent),
    days: perDay(report, exponent),
    offers: perOffer(report, exponent, config),
    aov: {
      withConfirmedOffer: readLift(report.aov.withConfirmedOffer, exponent),
      shownAnOffer: readLift(report.aov.shownAnOffer, exponent),
      otherCurrency: report.aov.purchasesInAnotherCurrency,
    },
    funnel: report.funnel,
    experiments: report.experiments.map((e) => ({
      id: e.experimentId,
      arms: e.arms.map((a) => ({armId: a.armId, ...readFigures(a, exponent)})),
      comparisons: e.comparisons,
    })),
  };
}

/** The analytics of `range` ({from, to}, either may be missing: the server's last 30 days). */
export async function loadReport(api, range = {}) {
  const [shop, report, live] = await Promise.all([api.shopInfo(), api.analytics(range), api.campaigns().catch(() => null)]);
  if (!Number.isInteger(shop.currencyExponent)) throw new Error(`the shop currency ${shop.currencyCode} has no ISO 4217 exponent`);
  return readReport(report, shop.currencyExponent, live?.config);
}

/** Offers shown and accepted per campaign over the report's range: Map(id → {shown, accepted}). */
export function perCampaign(report) {
  const out = new Map();
  for (const g of report.groups) {
    const c = out.get(g.campaignId) || {shown: 0, accepted: 0};
    c.shown += g.offersShown;
    c.accepted += g.accepted;
    out.set(g.campaignId, c);
  }
  return out;
}

/**
 * The figures the Campaigns page shows: over the last 30 days from GET /api/analytics (offers
 * shown, accepted, net of refunds; each campaign's shown and accepted), or, when that report
 * cannot be read, the all-time GET /api/analytics/summary (accepted revenue, no per campaign).
 * @returns {Promise<{days: number|null, currencyCode: string, shown: number, accepted: number,
 *   revenue: string|null, perCampaign: Map<string, {shown: number, accepted: number}>|null}>}
 */
export async function loadFigures(api) {
  const report = await api.analytics().catch(() => null);
  if (report) {
    return {
      days: daysBetween(report.from, report.to).length,
      currencyCode: report.currencyCode,
      shown: report.totals.offersShown,
      accepted: report.totals.accepted,
      revenue: report.totals.netRevenue.amount,
      perCampaign: perCampaign(report),
    };
  }
  const s = await api.summary();
  return {
    days: null,
    currencyCode: s.netRevenue?.currencyCode,
    shown: s.offersShown,
    accepted: s.accepted,
    revenue: s.netRevenue?.amount ?? null,
    perCampaign: null,
  };
}
