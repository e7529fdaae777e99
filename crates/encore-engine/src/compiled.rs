//! The configuration compiled by the server for the offer Function: every campaign's header
//! and steps already read by [`crate::config`] (with each fault and its JSON path), written as
//! [`crate::record`]s. The Function reads each field once, by position, and never asks a
//! campaign for a key it may not have.
//!
//! The server compiles the merchant's JSON once per configuration version and shop currency
//! (amounts are read in the shop currency, so a currency that cannot write an amount is a fault
//! at compile time, as it is at save time); the JSON stays the one source of truth. Layout,
//! after the [`HEADER`]:
//!
//! 1. the shop currency code it was compiled for;
//! 2. `Result<Defaults, Vec<ConfigFault>>`: what [`crate::config::open`] gave;
//! 3. when that is `Ok`, the campaign count, then per campaign two sections a reader can skip:
//!    its header (`Result<CampaignHeader, Vec<ConfigFault>>`, as
//!    [`ConfigDoc::campaign_header`] gives it), and its steps: the first step's id, then per
//!    step with a string id that id and a section holding `Result<Step, Vec<ConfigFault>>`.
//!
//! A decision reads the defaults and every header, and the steps of the campaign it chooses.

use crate::config::{
    Amount, Arm, CampaignHeader, CapSource, ConfigFault, CopyText, CustomerOrders, Defaults,
    Discount, Experiment, GuardrailOverrides, Guardrails, OfferSpec, ProductSource, ShippingSpec,
    Status, Step, SubscriptionSpec, Triggers,
};
use crate::money::Currency;
use crate::record::{Cursor, Record, Writer};
use crate::{record_sparse_struct, record_struct, record_unit_enum};

/// The first bytes of a compiled configuration: the layout's version.
pub const HEADER: &str = "EC1";

/// A compiled configuration opened for one decision.
#[derive(Debug)]
pub struct CompiledConfig<'a> {
    pub defaults: Defaults,
    /// Per campaign, its header section and its steps section.
    campaigns: Vec<(Cursor<'a>, Cursor<'a>)>,
}

fn unreadable(message: String) -> Vec<ConfigFault> {
    vec![ConfigFault {
        path: "$".to_owned(),
        message,
    }]
}

/// Opens a compiled configuration for a shop whose currency is `currency`: the configuration's
/// own faults, or a fault saying it must be saved again when it is not a compiled
/// configuration this engine reads or was compiled for another currency.
pub fn open(text: &str, currency: Currency) -> Result<CompiledConfig<'_>, Vec<ConfigFault>> {
    let damaged = || {
        unreadable(
            "the stored configuration is not one this version of Encore reads (damaged or \
             compiled by another version); save it again in the Encore admin"
                .to_owned(),
        )
    };
    let mut c = Cursor::open(text, HEADER).ok_or_else(damaged)?;
    let compiled_for = c.str().ok_or_else(damaged)?;
    if compiled_for != currency.code() {
        return Err(unreadable(format!(
            "the configuration was compiled for the currency {compiled_for}, but the shop \
             currency is {}; save it again in the Encore admin",
            currency.code()
        )));
    }
    let defaults = <Result<Defaults, Vec<ConfigFault>>>::read(&mut c).ok_or_else(damaged)??;
    let count = c.usize().ok_or_else(damaged)?;
    // Bounded: a corrupt count must not reserve memory for it.
    let mut campaigns = Vec::with_capacity(count.min(256));
    for _ in 0..count {
        let header = c.section().ok_or_else(damaged)?;
        let steps = c.section().ok_or_else(damaged)?;
        campaigns.push((header, steps));
    }
    Ok(CompiledConfig {
        defaults,
        campaigns,
    })
}

/// What a damaged section reads as: the campaign is unusable, and says why.
fn damaged_section() -> Vec<ConfigFault> {
    unreadable("the stored configuration is damaged; save it again in the Encore admin".into())
}

impl CompiledConfig<'_> {
    /// The number of campaigns.
    pub fn campaign_count(&self) -> usize {
        self.campaigns.len()
    }

    /// The header of campaign `index`, or the faults that make it unusable.
    pub fn campaign_header(&self, index: usize) -> Result<CampaignHeader, Vec<ConfigFault>> {
        let Some((header, _)) = self.campaigns.get(index) else {
            return Err(Vec::new());
        };
        Record::read(&mut { *header }).unwrap_or_else(|| Err(damaged_section()))
    }

    /// The step `step_id` of campaign `index`: `Ok(None)` when it has no such step.
    pub fn campaign_step(
        &self,
        index: usize,
        step_id: &str,
    ) -> Result<Option<Step>, Vec<ConfigFault>> {
        let Some((_, steps)) = self.campaigns.get(index) else {
            return Ok(None);
        };
        let mut c = *steps;
        let mut found = || -> Option<Result<Option<Step>, Vec<ConfigFault>>> {
            <Option<String>>::read(&mut c)?;
            for _ in 0..c.usize()? {
                let id = c.str()?;
                let mut step = c.section()?;
                if id == step_id {
                    let step = <Result<Step, Vec<ConfigFault>>>::read(&mut step)?;
                    return Some(step.map(Some));
                }
            }
            Some(Ok(None))
        };
        found().unwrap_or_else(|| Err(damaged_section()))
    }

    /// The id of the first step of campaign `index`.
    pub fn first_step_id(&self, index: usize) -> Option<String> {
        let (_, steps) = self.campaigns.get(index)?;
        <Option<String>>::read(&mut { *steps })?
    }
}

/// Compiles the merchant's configuration JSON for a shop whose currency is `currency_code`
/// (one that is not an ISO 4217 code compiles to that fault).
#[cfg(feature = "serde_json")]
pub fn compile(config: &serde_json::Value, currency_code: &str) -> String {
    let mut w = Writer::new(HEADER);
    w.str(currency_code);
    let opened = match Currency::from_code(currency_code) {
        Some(currency) => crate::config::open(&config, currency),
        None => Err(unreadable(format!(
            "the shop currency \"{currency_code}\" is not an ISO 4217 code"
        ))),
    };
    match opened {
        Err(faults) => Err::<Defaults, _>(faults).write(&mut w),
        Ok(doc) => {
            Ok::<_, Vec<ConfigFault>>(doc.defaults).write(&mut w);
            w.uint(doc.campaign_count() as u64);
            for i in 0..doc.campaign_count() {
                w.section(|w| doc.campaign_header(i).write(w));
                w.section(|w| {
                    doc.first_step_id(i).write(w);
                    let steps = doc.campaign_steps(i);
                    w.uint(steps.len() as u64);
                    for (id, step) in steps {
                        w.str(&id);
                        w.section(|w| step.write(w));
                    }
                });
            }
        }
    }
    w.finish()
}

impl Record for Amount {
    fn write(&self, w: &mut Writer) {
        self.minor().write(w);
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        i64::read(c).map(Amount::from_minor)
    }
}

impl Record for Discount {
    fn write(&self, w: &mut Writer) {
        match self {
            Discount::None => w.uint(0),
            Discount::Percent(bp) => {
                w.uint(1);
                bp.write(w);
            }
            Discount::AmountOff(a) => {
                w.uint(2);
                a.write(w);
            }
            Discount::FixedPrice(a) => {
                w.uint(3);
                a.write(w);
            }
        }
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        Some(match c.uint()? {
            0 => Discount::None,
            1 => Discount::Percent(Record::read(c)?),
            2 => Discount::AmountOff(Record::read(c)?),
            3 => Discount::FixedPrice(Record::read(c)?),
            _ => return None,
        })
    }
}

impl Record for ProductSource {
    fn write(&self, w: &mut Writer) {
        match self {
            ProductSource::Candidates(candidates) => {
                w.uint(0);
                candidates.write(w);
            }
            ProductSource::Auto {
                max_candidates,
                min_lift_permille,
            } => {
                w.uint(1);
                max_candidates.write(w);
                min_lift_permille.write(w);
            }
        }
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        Some(match c.uint()? {
            0 => ProductSource::Candidates(Record::read(c)?),
            1 => ProductSource::Auto {
                max_candidates: Record::read(c)?,
                min_lift_permille: Record::read(c)?,
            },
            _ => return None,
        })
    }
}

record_unit_enum!(Status {
    Active,
    Paused,
    Draft
});
record_unit_enum!(CapSource {
    CurrencyDefault,
    ShopDefaults,
    Campaign
});
record_unit_enum!(CustomerOrders { First, Returning });
record_struct!(ConfigFault { path, message });
record_struct!(Guardrails {
    max_offer_price,
    max_offer_price_source,
    max_share_of_purchase,
    min_purchase,
    refund_rate_pause,
    refund_rate_min_accepts,
    margin_floor,
});
record_sparse_struct!(GuardrailOverrides {
    max_offer_price,
    max_share_of_purchase,
    min_purchase,
    refund_rate_pause,
    refund_rate_min_accepts,
    margin_floor,
});
record_struct!(Defaults {
    guardrails,
    max_offers_per_purchase
});
record_sparse_struct!(Triggers {
    products,
    variants,
    collections,
    tags,
    product_types,
    vendors,
    purchase_min,
    purchase_max,
    customer_tags_include,
    customer_tags_exclude,
    customer_orders,
    customer_min_orders,
    customer_min_amount_spent,
    countries_include,
    countries_exclude,
    exclude_products,
    exclude_tags,
});
record_struct!(CampaignHeader {
    id,
    status,
    priority,
    starts_at,
    ends_at,
    triggers,
    guardrails,
    entry_step,
    experiment,
});
record_struct!(Experiment { id, arms });
record_struct!(Arm {
    id,
    weight,
    discount,
    products,
    copy
});
record_struct!(CopyText {
    headline,
    body,
    accept_label,
    decline_label
});
record_struct!(SubscriptionSpec {
    selling_plan_id,
    initial_shipping_price,
    recurring_shipping_price,
    shipping_title,
});
record_struct!(ShippingSpec { price, title });
record_struct!(OfferSpec {
    products,
    quantity,
    discount,
    discount_title,
    subscription,
    shipping,
    refill,
    copy,
});
record_struct!(Step {
    id,
    offer,
    on_accept,
    on_decline,
    experiment,
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, ConfigDoc};
    use serde_json::{json, Value};

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    /// Everything a decision can ask of `doc`, asked of the JSON and of its compiled form.
    fn assert_same_answers(config: &Value, currency: Currency) {
        let compiled = compile(config, currency.code());
        let opened = open(&compiled, currency);
        let doc: Result<ConfigDoc<&Value>, _> = config::open(&config, currency);
        match (&doc, &opened) {
            (Err(a), Err(b)) => assert_eq!(a, b),
            (Ok(doc), Ok(c)) => {
                assert_eq!(doc.defaults, c.defaults);
                assert_eq!(doc.campaign_count(), c.campaign_count());
                for i in 0..=doc.campaign_count() {
                    assert_eq!(doc.campaign_header(i), c.campaign_header(i), "campaign {i}");
                    assert_eq!(doc.first_step_id(i), c.first_step_id(i), "campaign {i}");
                    for step in ["upsell", "downsell", "nowhere", "7"] {
                        assert_eq!(
                            doc.campaign_step(i, step),
                            c.campaign_step(i, step),
                            "campaign {i} step {step}"
                        );
                    }
                }
            }
            (a, b) => panic!(
                "the JSON opens as {:?}, the compiled form as {:?}",
                a.is_ok(),
                b.is_ok()
            ),
        }
    }

    #[test]
    fn a_compiled_configuration_answers_as_its_json_does() {
        let config = json!({
            "version": 1,
            "defaults": {"guardrails": {"maxOfferPrice": "80.00", "marginFloor": 20}, "maxOffersPerPurchase": 2},
            "campaigns": [
                {"id": "socks", "status": "active", "priority": 10,
                 "schedule": {"startsAt": "2026-01-01T00:00:00Z"},
                 "triggers": {"tags": ["shoes"], "purchaseValue": {"min": "20.50"}, "customer": {"orders": "returning"}, "exclude": {"tags": ["gift"]}},
                 "guardrails": {"maxShareOfPurchase": 30},
                 "experiment": {"id": "e1", "arms": [{"id": "a", "weight": 1}, {"id": "b", "weight": 1, "discount": {"percent": 20}}]},
                 "steps": [
                    {"id": "upsell", "onDecline": "downsell", "offer": {"products": ["1", ["2", "3"]], "discount": {"percent": 12.5},
                     "copy": {"en": {"headline": "Socks"}, "fr": {"headline": "Chaussettes", "acceptLabel": "Oui"}}}},
                    {"id": "downsell", "offer": {"auto": {"maxCandidates": 3}, "shipping": {"price": "4.00", "title": "Post"},
                     "subscription": {"initialShippingPrice": "0.00", "recurringShippingPrice": "1.00"}}}
                 ]},
                {"id": "broken", "status": "sometimes", "steps": [{"id": "upsell", "offer": {"products": []}}]},
                {"id": "bad-step", "status": "active", "steps": [{"id": 7, "offer": {}}, {"id": "upsell", "offer": {"discount": {"percent": 300}}}]},
                "not a campaign",
            ]
        });
        assert_same_answers(&config, usd());
        // The comparison covers readable campaigns and steps, not only faults.
        let compiled = compile(&config, "USD");
        let opened = open(&compiled, usd()).unwrap();
        let header = opened.campaign_header(0).unwrap();
        assert_eq!(
            (header.id.as_str(), header.triggers.purchase_min),
            ("socks", Some(Amount::from_minor(2050)))
        );
        assert!(header.experiment.is_some());
        let downsell = opened.campaign_step(0, "downsell").unwrap().unwrap();
        assert!(downsell.offer.subscription.is_some() && downsell.offer.shipping.is_some());
        assert!(opened.campaign_header(1).is_err());
        assert!(opened.campaign_step(2, "upsell").is_err());
        // Amounts JPY cannot write are faults of the compiled form too.
        assert_same_answers(&config, Currency::from_code("JPY").unwrap());
        assert_same_answers(&json!({"version": 2}), usd());
        assert_same_answers(&json!([]), usd());
    }

    #[test]
    fn a_configuration_compiled_for_another_currency_or_damaged_is_refused_with_a_reason() {
        let compiled = compile(&json!({"version": 1, "campaigns": []}), "USD");
        let eur = Currency::from_code("EUR").unwrap();
        let faults = open(&compiled, eur).unwrap_err();
        assert!(
            faults[0].message.contains("compiled for the currency USD"),
            "{faults:?}"
        );
        let packed = crate::pack::pack(&json!({"version": 1}));
        let faults = open(&packed, usd()).unwrap_err();
        assert!(faults[0].message.contains("save it again"), "{faults:?}");
        for cut in 0..compiled.len() {
            assert!(open(&compiled[..cut], usd()).is_err(), "cut at {cut}");
        }
    }
}
