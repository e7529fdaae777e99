//! Analytics: what offers showed, converted, earned and lost to refunds, per shop, campaign,
//! step, experiment arm and day, with AOV lift, the funnel and experiment comparisons.
//!
//! Every figure is defined in docs/analytics.md. Money is summed in integer minor units of the
//! shop currency and printed with its exponent; rates and p-values are floats (they are ratios,
//! not money). Days are UTC days of the decision's time.

use std::collections::{BTreeMap, HashMap};

use encore_engine::Currency;
use serde::Serialize;

use encore_store::shops::ShopRow;
use encore_store::{Store, StoreError};

/// Offers an arm must have shown before it is compared.
pub const MIN_SHOWN_PER_ARM: i64 = 100;
/// Expected accepts and non-accepts per arm (under the pooled rate) the normal approximation
/// needs.
pub const MIN_EXPECTED: f64 = 10.0;

/// The days reported, UTC, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: time::Date,
    pub to: time::Date,
}

impl Range {
    /// `from`/`to` as `YYYY-MM-DD`; to defaults to from + 29 days, from to today − 29 days.
    pub fn parse(from: Option<&str>, to: Option<&str>, now: i64) -> Result<Self, String> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let day = |s: &str, name: &str| {
            time::Date::parse(s, &format)
                .map_err(|_| format!("{name} must be a date like 2026-11-30 (got {s:?})"))
        };
        let today = time::OffsetDateTime::from_unix_timestamp(now)
            .map_err(|e| e.to_string())?
            .date();
        let to = match to {
            Some(t) => day(t, "to")?,
            None => today,
        };
        let from = match from {
            Some(f) => day(f, "from")?,
            None => to - time::Duration::days(29),
        };
        if from > to {
            return Err("from must not be after to".into());
        }
        if (to - from).whole_days() > 366 {
            return Err("a range is at most 367 days".into());
        }
        Ok(Self { from, to })
    }

    fn start(&self) -> i64 {
        self.from.midnight().assume_utc().unix_timestamp()
    }

    fn end(&self) -> i64 {
        (self.to + time::Duration::days(1))
            .midnight()
            .assume_utc()
            .unix_timestamp()
    }
}

/// An amount of the shop currency: exact decimal text and minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    pub amount: String,
    pub minor: i64,
}

/// The figures of one group of decisions (see docs/analytics.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub offers_shown: i64,
    pub accepted: i64,
    pub declined: i64,
    pub conversion_rate: Option<f64>,
    pub confirmed: i64,
    pub pending: i64,
    pub unconfirmed: i64,
    pub foreign_currency: i64,
    pub confirmed_units: i64,
    pub confirmed_revenue: Money,
    pub refunded_units: i64,
    pub refunded_amount: Money,
    pub refund_rate: Option<f64>,
    pub net_revenue: Money,
    pub revenue_per_offer_shown: Option<Money>,
}

/// Sums before they become [`Figures`].
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    shown: i64,
    accepted: i64,
    declined: i64,
    confirmed: i64,
    pending: i64,
    unconfirmed: i64,
    foreign: i64,
    units: i64,
    revenue: i64,
    refunded_units: i64,
    refunded: i64,
    /// Σ net² over shown offers (for the revenue comparison's variance).
    net_squares: i128,
}

impl Tally {
    fn add(&mut self, d: &DecisionFacts) {
        if !d.shown {
            return;
        }
        self.shown += 1;
        match d.outcome {
            Outcome::Accepted => self.accepted += 1,
            Outcome::Declined => self.declined += 1,
            Outcome::None => {}
        }
        match d.status {
            Status::Confirmed => {
                self.confirmed += 1;
                self.units += d.units;
                self.revenue += d.amount;
                self.refunded_units += d.refunded_units;
                self.refunded += d.refunded;
            }
            Status::Pending => self.pending += 1,
            Status::Unconfirmed => self.unconfirmed += 1,
            Status::ForeignCurrency => self.foreign += 1,
            Status::NotAccepted => {}
        }
        let net = i128::from(d.net());
        self.net_squares += net * net;
    }

    fn figures(&self, c: Currency) -> Figures {
        let money = |minor: i64| Money {
            amount: c.format(minor),
            minor,
        };
        let net = self.revenue - self.refunded;
        Figures {
            offers_shown: self.shown,
            accepted: self.accepted,
            declined: self.declined,
            conversion_rate: ratio(self.accepted, self.shown),
            confirmed: self.confirmed,
            pending: self.pending,
            unconfirmed: self.unconfirmed,
            foreign_currency: self.foreign,
            confirmed_units: self.units,
            confirmed_revenue: money(self.revenue),
            refunded_units: self.refunded_units,
            refunded_amount: money(self.refunded),
            refund_rate: ratio(self.refunded_units, self.units),
            net_revenue: money(net),
            // Truncated toward zero: a merchant dividing by hand gets the same minor units.
            revenue_per_offer_shown: (self.shown > 0).then(|| money(net / self.shown)),
        }
    }
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Accepted,
    Declined,
    None,
}

/// Where an offer's money stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    NotAccepted,
    /// Its order line was found: counted.
    Confirmed,
    /// Accepted, no order yet, within the attribution window.
    Pending,
    /// Accepted, no order line found within the window: not counted.
    Unconfirmed,
    /// Its order is in another currency than the shop's: not counted.
    ForeignCurrency,
}

/// One shown decision with what attribution found.
#[derive(Debug, Clone)]
struct DecisionFacts {
    reference_id: String,
    seq: i64,
    campaign: String,
    step: String,
    experiment: Option<String>,
    arm: Option<String>,
    shown: bool,
    outcome: Outcome,
    status: Status,
    day: time::Date,
    purchase_total: Option<i64>,
    units: i64,
    amount: i64,
    refunded_units: i64,
    refunded: i64,
}

impl DecisionFacts {
    fn net(&self) -> i64 {
        if self.status == Status::Confirmed {
            self.amount - self.refunded
        } else {
            0
        }
    }
}

/// Figures of one day, campaign, step and arm.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayRow {
    pub day: String,
    pub campaign_id: String,
    pub step_id: String,
    pub experiment_id: Option<String>,
    pub arm_id: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Figures of one campaign, step and arm over the range.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRow {
    pub campaign_id: String,
    pub step_id: String,
    pub experiment_id: Option<String>,
    pub arm_id: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// AOV lift over one set of purchases.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lift {
    pub purchases: i64,
    pub original_value: Money,
    pub offer_net_revenue: Money,
    pub aov_before: Option<Money>,
    pub aov_after: Option<Money>,
    pub lift: Option<f64>,
}

/// AOV lift: over purchases with a confirmed offer, and over every purchase shown an offer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AovLift {
    pub with_confirmed_offer: Lift,
    pub shown_an_offer: Lift,
    /// Purchases left out: their original value is not in the shop's currency.
    pub purchases_in_another_currency: i64,
}

/// One funnel transition: buyers who answered `from_step` with `outcome` and were then shown
/// `to_step` (`None`: no further offer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunnelRow {
    pub campaign_id: String,
    pub from_step_id: String,
    pub outcome: &'static str,
    pub to_step_id: Option<String>,
    pub purchases: i64,
}

/// One arm's figures in an experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmRow {
    pub arm_id: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A statistical comparison, or why there is none yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Comparison {
    #[serde(rename_all = "camelCase")]
    NotEnoughData { reason: String },
    #[serde(rename_all = "camelCase")]
    Compared {
        test: &'static str,
        /// Treatment minus control (rate, or minor units per offer shown).
        difference: f64,
        z: f64,
        p_value: f64,
    },
}

/// An arm against the experiment's control (its first arm by id).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmComparison {
    pub control_arm_id: String,
    pub arm_id: String,
    pub conversion: Comparison,
    pub revenue_per_offer_shown: Comparison,
}

/// An experiment's arms and comparisons over the range.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentReport {
    pub experiment_id: String,
    pub arms: Vec<ArmRow>,
    pub comparisons: Vec<ArmComparison>,
}

/// The whole report (`GET /api/analytics`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub shop: String,
    pub currency_code: String,
    pub from: String,
    pub to: String,
    pub attribution_window_minutes: i64,
    pub totals: Figures,
    pub groups: Vec<GroupRow>,
    pub days: Vec<DayRow>,
    pub aov: AovLift,
    pub funnel: Vec<FunnelRow>,
    pub experiments: Vec<ExperimentReport>,
}

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the shop's currency {0} is not an ISO 4217 currency Encore knows")]
    Currency(String),
}

async fn load(
    store: &Store,
    shop: &ShopRow,
    currency: Currency,
    range: Range,
    window: i64,
    now: i64,
) -> Result<Vec<DecisionFacts>, AnalyticsError> {
    let rows = store
        .offered_decisions(&shop.domain, range.start(), range.end())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let outcome = match r.outcome.as_deref() {
            Some("accepted") => Outcome::Accepted,
            Some("declined") | Some("accept_failed") => Outcome::Declined,
            _ => Outcome::None,
        };
        let created = r.created_at;
        let status = match (outcome, r.order_status.as_deref()) {
            (_, Some("confirmed")) => Status::Confirmed,
            (_, Some("foreign_currency")) => Status::ForeignCurrency,
            (Outcome::Accepted, _) if created + window > now => Status::Pending,
            (Outcome::Accepted, _) => Status::Unconfirmed,
            _ => Status::NotAccepted,
        };
        let purchase_total = match (r.purchase_total, r.purchase_currency) {
            (Some(amount), Some(code)) if code == shop.currency_code => {
                currency.parse(&amount).ok()
            }
            _ => None,
        };
        out.push(DecisionFacts {
            reference_id: r.reference_id,
            seq: r.seq,
            campaign: r.campaign_id.unwrap_or_default(),
            step: r.step_id.unwrap_or_default(),
            experiment: r.experiment_id,
            arm: r.arm_id,
            shown: r.shown || outcome != Outcome::None,
            outcome,
            status,
            day: time::OffsetDateTime::from_unix_timestamp(created)
                .map(|t| t.date())
                .unwrap_or(range.from),
            purchase_total,
            units: r.units,
            amount: r.amount_minor,
            refunded_units: r.refunded_units,
            refunded: r.refunded_minor,
        });
    }
    Ok(out)
}

/// Builds the report of `shop` over `range`.
pub async fn report(
    store: &Store,
    shop: &ShopRow,
    range: Range,
    window: std::time::Duration,
    now: i64,
) -> Result<Report, AnalyticsError> {
    let currency = Currency::from_code(&shop.currency_code)
        .ok_or_else(|| AnalyticsError::Currency(shop.currency_code.clone()))?;
    let facts = load(store, shop, currency, range, window.as_secs() as i64, now).await?;
    let money = |minor: i64| Money {
        amount: currency.format(minor),
        minor,
    };

    let mut totals = Tally::default();
    type Key = (String, String, Option<String>, Option<String>);
    let mut groups: BTreeMap<Key, Tally> = BTreeMap::new();
    let mut days: BTreeMap<(time::Date, Key), Tally> = BTreeMap::new();
    let mut arms: BTreeMap<String, BTreeMap<String, Tally>> = BTreeMap::new();
    for d in &facts {
        let key = (
            d.campaign.clone(),
            d.step.clone(),
            d.experiment.clone(),
            d.arm.clone(),
        );
        totals.add(d);
        groups.entry(key.clone()).or_default().add(d);
        days.entry((d.day, key)).or_default().add(d);
        if let (Some(e), Some(a)) = (&d.experiment, &d.arm) {
            arms.entry(e.clone())
                .or_default()
                .entry(a.clone())
                .or_default()
                .add(d);
        }
    }

    // Purchases: original value once per purchase, offer net revenue summed over its decisions.
    let mut purchases: BTreeMap<&str, (Option<i64>, bool, i64, bool)> = BTreeMap::new();
    for d in facts.iter().filter(|d| d.shown) {
        let p = purchases
            .entry(&d.reference_id)
            .or_insert((d.purchase_total, false, 0, false));
        p.0 = p.0.or(d.purchase_total);
        p.1 |= d.purchase_total.is_none();
        p.2 += d.net();
        p.3 |= d.status == Status::Confirmed;
    }
    let lift = |filter: &dyn Fn(bool) -> bool| {
        let (mut n, mut original, mut net) = (0i64, 0i64, 0i64);
        for (total, _, offer_net, confirmed) in purchases.values() {
            if let (Some(total), true) = (total, filter(*confirmed)) {
                n += 1;
                original += total;
                net += offer_net;
            }
        }
        Lift {
            purchases: n,
            original_value: money(original),
            offer_net_revenue: money(net),
            aov_before: (n > 0).then(|| money(original / n)),
            aov_after: (n > 0).then(|| money((original + net) / n)),
            lift: ratio(net, original),
        }
    };
    let aov = AovLift {
        with_confirmed_offer: lift(&|confirmed| confirmed),
        shown_an_offer: lift(&|_| true),
        purchases_in_another_currency: purchases.values().filter(|p| p.0.is_none()).count() as i64,
    };

    Ok(Report {
        shop: shop.domain.clone(),
        currency_code: shop.currency_code.clone(),
        from: range.from.to_string(),
        to: range.to.to_string(),
        attribution_window_minutes: (window.as_secs() / 60) as i64,
        totals: totals.figures(currency),
        groups: groups
            .into_iter()
            .map(
                |((campaign_id, step_id, experiment_id, arm_id), t)| GroupRow {
                    campaign_id,
                    step_id,
                    experiment_id,
                    arm_id,
                    figures: t.figures(currency),
                },
            )
            .collect(),
        days: days
            .into_iter()
            .map(
                |((day, (campaign_id, step_id, experiment_id, arm_id)), t)| DayRow {
                    day: day.to_string(),
                    campaign_id,
                    step_id,
                    experiment_id,
                    arm_id,
                    figures: t.figures(currency),
                },
            )
            .collect(),
        aov,
        funnel: funnel(&facts),
        experiments: arms
            .into_iter()
            .map(|(experiment_id, arms)| experiment(experiment_id, &arms, currency))
            .collect(),
    })
}

/// Transitions between consecutive shown decisions of each purchase (facts are sorted by
/// purchase and seq).
fn funnel(facts: &[DecisionFacts]) -> Vec<FunnelRow> {
    let mut counts: BTreeMap<(String, String, &'static str, Option<String>), i64> = BTreeMap::new();
    let mut by_purchase: HashMap<&str, Vec<&DecisionFacts>> = HashMap::new();
    for d in facts.iter().filter(|d| d.shown) {
        by_purchase.entry(&d.reference_id).or_default().push(d);
    }
    for list in by_purchase.values_mut() {
        list.sort_by_key(|d| d.seq);
        for (i, d) in list.iter().enumerate() {
            let outcome = match d.outcome {
                Outcome::Accepted => "accepted",
                Outcome::Declined => "declined",
                Outcome::None => "unanswered",
            };
            let next = list.get(i + 1).map(|n| n.step.clone());
            *counts
                .entry((d.campaign.clone(), d.step.clone(), outcome, next))
                .or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(
            |((campaign_id, from_step_id, outcome, to_step_id), purchases)| FunnelRow {
                campaign_id,
                from_step_id,
                outcome,
                to_step_id,
                purchases,
            },
        )
        .collect()
}

fn experiment(id: String, arms: &BTreeMap<String, Tally>, currency: Currency) -> ExperimentReport {
    let rows: Vec<ArmRow> = arms
        .iter()
        .map(|(arm, t)| ArmRow {
            arm_id: arm.clone(),
            figures: t.figures(currency),
        })
        .collect();
    let mut comparisons = Vec::new();
    let mut iter = arms.iter();
    if let Some((control_id, control)) = iter.next() {
        for (arm_id, arm) in iter {
            comparisons.push(ArmComparison {
                control_arm_id: control_id.clone(),
                arm_id: arm_id.clone(),
                conversion: compare_conversion(control, arm),
                revenue_per_offer_shown: compare_revenue(control, arm),
            });
        }
    }
    ExperimentReport {
        experiment_id: id,
        arms: rows,
        comparisons,
    }
}

fn too_few(c: &Tally, t: &Tally) -> Option<Comparison> {
    (c.shown < MIN_SHOWN_PER_ARM || t.shown < MIN_SHOWN_PER_ARM).then(|| {
        Comparison::NotEnoughData {
            reason: format!(
                "each arm needs {MIN_SHOWN_PER_ARM} offers shown (control {}, arm {})",
                c.shown, t.shown
            ),
        }
    })
}

/// Two-sided two-proportion z-test with the pooled rate: assumes independent buyers, one
/// decision per buyer and arm, and enough accepts and non-accepts for the normal approximation.
pub fn two_proportion_z(c_acc: i64, c_n: i64, t_acc: i64, t_n: i64) -> Option<(f64, f64, f64)> {
    let (cn, tn) = (c_n as f64, t_n as f64);
    let pooled = (c_acc + t_acc) as f64 / (cn + tn);
    let se = (pooled * (1.0 - pooled) * (1.0 / cn + 1.0 / tn)).sqrt();
    if se.is_nan() || se <= 0.0 {
        return None;
    }
    let diff = t_acc as f64 / tn - c_acc as f64 / cn;
    let z = diff / se;
    Some((diff, z, libm::erfc(z.abs() / std::f64::consts::SQRT_2)))
}

fn compare_conversion(c: &Tally, t: &Tally) -> Comparison {
    if let Some(no) = too_few(c, t) {
        return no;
    }
    let pooled = (c.accepted + t.accepted) as f64 / (c.shown + t.shown) as f64;
    let fewest = (c.shown.min(t.shown)) as f64;
    if fewest * pooled < MIN_EXPECTED || fewest * (1.0 - pooled) < MIN_EXPECTED {
        return Comparison::NotEnoughData {
            reason: format!(
                "the normal approximation needs at least {MIN_EXPECTED} expected accepts and declines per arm"
            ),
        };
    }
    match two_proportion_z(c.accepted, c.shown, t.accepted, t.shown) {
        Some((difference, z, p_value)) => Comparison::Compared {
            test: "two-proportion z-test (pooled, two-sided)",
            difference,
            z,
            p_value,
        },
        None => Comparison::NotEnoughData {
            reason: "both arms have the same rate of 0 or 1".into(),
        },
    }
}

/// Welch's test with the normal approximation on net revenue per shown offer (0 for offers not
/// accepted): assumes independent offers and samples large enough for the central limit
/// theorem, which heavy-tailed revenue needs more of than conversion does.
fn compare_revenue(c: &Tally, t: &Tally) -> Comparison {
    if let Some(no) = too_few(c, t) {
        return no;
    }
    let stats = |x: &Tally| {
        let n = x.shown as f64;
        let sum = (x.revenue - x.refunded) as f64;
        let mean = sum / n;
        let var = ((x.net_squares as f64) - sum * sum / n) / (n - 1.0);
        (mean, var.max(0.0) / n)
    };
    let ((cm, cv), (tm, tv)) = (stats(c), stats(t));
    let se = (cv + tv).sqrt();
    if se.is_nan() || se <= 0.0 {
        return Comparison::NotEnoughData {
            reason: "no revenue varies in either arm yet".into(),
        };
    }
    let z = (tm - cm) / se;
    Comparison::Compared {
        test: "Welch's test, normal approximation (two-sided)",
        difference: tm - cm,
        z,
        p_value: libm::erfc(z.abs() / std::f64::consts::SQRT_2),
    }
}

/// The report's day rows as CSV (money as decimal text in the shop currency).
pub fn csv(report: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "day",
        "campaign_id",
        "step_id",
        "experiment_id",
        "arm_id",
        "currency",
        "offers_shown",
        "accepted",
        "declined",
        "conversion_rate",
        "confirmed",
        "pending",
        "unconfirmed",
        "foreign_currency",
        "confirmed_units",
        "confirmed_revenue",
        "refunded_units",
        "refunded_amount",
        "refund_rate",
        "net_revenue",
        "revenue_per_offer_shown",
    ])?;
    let rate = |r: Option<f64>| r.map(|r| format!("{r:.6}")).unwrap_or_default();
    for row in &report.days {
        let f = &row.figures;
        w.write_record([
            row.day.clone(),
            row.campaign_id.clone(),
            row.step_id.clone(),
            row.experiment_id.clone().unwrap_or_default(),
            row.arm_id.clone().unwrap_or_default(),
            report.currency_code.clone(),
            f.offers_shown.to_string(),
            f.accepted.to_string(),
            f.declined.to_string(),
            rate(f.conversion_rate),
            f.confirmed.to_string(),
            f.pending.to_string(),
            f.unconfirmed.to_string(),
            f.foreign_currency.to_string(),
            f.confirmed_units.to_string(),
            f.confirmed_revenue.amount.clone(),
            f.refunded_units.to_string(),
            f.refunded_amount.amount.clone(),
            rate(f.refund_rate),
            f.net_revenue.amount.clone(),
            f.revenue_per_offer_shown
                .as_ref()
                .map(|m| m.amount.clone())
                .unwrap_or_default(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_z_test_matches_a_hand_computed_case() {
        // 100/1000 vs 130/1000: pooled 0.115, se = sqrt(.115·.885·.002) = 0.014267, z = 2.1028.
        let (diff, z, p) = two_proportion_z(100, 1000, 130, 1000).unwrap();
        assert!((diff - 0.03).abs() < 1e-12);
        assert!((z - 2.1028).abs() < 1e-3, "{z}");
        assert!((p - 0.0355).abs() < 1e-3, "{p}");
    }

    fn arm(shown: i64, accepted: i64) -> Tally {
        Tally {
            shown,
            accepted,
            ..Tally::default()
        }
    }

    #[test]
    fn arms_below_the_minimum_sample_are_not_compared() {
        let small = compare_conversion(&arm(99, 30), &arm(500, 150));
        assert!(
            matches!(small, Comparison::NotEnoughData { .. }),
            "{small:?}"
        );
        // Enough offers but too few accepts for the normal approximation.
        let rare = compare_conversion(&arm(200, 1), &arm(200, 2));
        assert!(matches!(rare, Comparison::NotEnoughData { .. }), "{rare:?}");
        let ok = compare_conversion(&arm(1000, 100), &arm(1000, 130));
        match ok {
            Comparison::Compared { z, p_value, .. } => {
                assert!((z - 2.1028).abs() < 1e-3 && (p_value - 0.0355).abs() < 1e-3)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn revenue_per_shown_offer_is_compared_with_welch_s_test() {
        // Control: 100 of 1000 paid 10.00 (1000 minor units); arm: 150 of 1000 paid 10.00.
        let tally = |n: i64, paid: i64| Tally {
            shown: n,
            accepted: paid,
            confirmed: paid,
            revenue: paid * 1000,
            net_squares: i128::from(paid) * 1_000_000,
            ..Tally::default()
        };
        match compare_revenue(&tally(1000, 100), &tally(1000, 150)) {
            Comparison::Compared { difference, z, .. } => {
                assert!((difference - 50.0).abs() < 1e-9);
                // var_c = (1e8 − 1e10/1000)/999 = 90090.09; var_t = (1.5e8 − 2.25e7)/999 = 127627.6
                let se = (90090.09f64 / 1000.0 + 127627.63 / 1000.0).sqrt();
                assert!((z - 50.0 / se).abs() < 1e-3, "{z}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_range_is_whole_utc_days_and_refuses_a_reversed_one() {
        let r = Range::parse(Some("2026-11-01"), Some("2026-11-30"), 0).unwrap();
        assert_eq!(r.end() - r.start(), 30 * 86_400);
        assert!(Range::parse(Some("2026-12-01"), Some("2026-11-30"), 0).is_err());
        assert!(Range::parse(Some("30/11/2026"), None, 0).is_err());
    }
}
