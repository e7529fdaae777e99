//! The decision for one funnel step: which campaign, which product, at what price, the
//! changeset that adds it, and a reason for everything passed over.
//!
//! Selection rule: among active, scheduled campaigns whose triggers match, the highest
//! `priority` wins; ties go to the campaign whose id sorts first (byte order). If the winner's
//! entry step has no viable candidate, the next campaign is tried. Later in a funnel, a step
//! with no viable candidate falls through to its `onDecline` step (the buyer never saw it).

use crate::compiled::{self, CompiledConfig};
use crate::config::{
    self, Amount, CampaignHeader, CapSource, ConfigFault, CopyText, Discount, Guardrails,
    ProductSource, Status, Step,
};
use crate::experiment;
use crate::facts::{CatalogVariant, Customer, FactNeeds, Facts, Funnel, InventoryPolicy, Purchase};
use crate::money::{int_text, share_floor, Currency, QuotedAmount};
use crate::pricing::{self, PriceError, Prices};
use crate::reason::{Reason, ReasonCode, Reasons};
use crate::triggers;

/// The order metafield namespace that records accepted offers for attribution.
pub const METAFIELD_NAMESPACE: &str = "encore";

/// Everything about the purchase the decision needs, apart from lazily read facts.
pub struct Context<'a> {
    pub shop_currency: Currency,
    pub purchase: &'a Purchase,
    /// `purchase.merchandise_subtotal()`, summed once (every campaign's triggers and
    /// guardrails compare against it, and a large purchase has hundreds of lines) and written
    /// as text once, for the reasons that quote it.
    pub merchandise_subtotal: QuotedAmount,
    pub customer: Option<&'a Customer>,
    pub funnel: &'a Funnel,
    pub locale: &'a str,
    /// Seconds since the Unix epoch.
    pub now: i64,
}

/// The outcome: an offer or none, and the reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub offer: Option<Offer>,
    pub reasons: Vec<Reason>,
}

impl Decision {
    /// No offer, for one reason.
    pub fn none(code: ReasonCode, detail: impl Into<String>) -> Decision {
        Decision {
            offer: None,
            reasons: vec![reason(code, None, None, None, detail.into())],
        }
    }
}

/// The offer for this step.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub campaign_id: String,
    pub step_id: String,
    pub experiment_id: Option<String>,
    pub arm_id: Option<String>,
    pub next_step_on_accept: Option<String>,
    pub next_step_on_decline: Option<String>,
    pub products: Vec<OfferProduct>,
    pub changes: Vec<Change>,
    pub copy: Copy,
}

/// An offered product and its prices.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferProduct {
    pub product_id: String,
    pub variant_id: String,
    pub title: String,
    pub variant_title: Option<String>,
    pub image_url: Option<String>,
    pub quantity: i64,
    pub selling_plan_id: Option<String>,
    pub shop_prices: Prices,
    pub presentment_prices: Prices,
}

/// The copy shown, resolved for the buyer's locale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub locale: String,
    pub headline: String,
    pub body: String,
    pub accept_label: String,
    pub decline_label: String,
}

/// A discount as Shopify's `ExplicitDiscount`; `value` is a decimal string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplicitDiscount {
    pub value: String,
    pub value_type: &'static str,
    pub title: String,
}

/// A changeset change, field for field as Shopify's; amounts are decimal strings in the shop
/// currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    AddVariant {
        variant_id: String,
        quantity: i64,
        discount: Option<ExplicitDiscount>,
    },
    AddSubscription {
        variant_id: String,
        selling_plan_id: String,
        quantity: i64,
        initial_shipping_price: String,
        recurring_shipping_price: String,
        shipping_title: Option<String>,
        discount: Option<ExplicitDiscount>,
    },
    AddShippingLine {
        price: String,
        title: String,
    },
    SetMetafield {
        namespace: String,
        key: String,
        value: String,
        value_type: &'static str,
    },
}

/// A configuration opened for one decision: campaign headers read, steps read on demand.
pub struct Plan<'a> {
    doc: CompiledConfig<'a>,
    headers: Vec<(usize, Result<CampaignHeader, Vec<ConfigFault>>)>,
}

/// Opens the configuration, compiled by the server for `currency` (the shop currency:
/// [`crate::compiled`]), and reads the campaign headers this decision may use.
/// On failure, the one reason there can be no offer.
pub fn plan<'a>(
    config: Option<&'a str>,
    funnel: &Funnel,
    currency: Currency,
) -> Result<Plan<'a>, Reason> {
    let Some(root) = config else {
        return Err(reason(
            ReasonCode::ConfigMissing,
            None,
            None,
            None,
            "the shop has no Encore configuration; save campaigns in the Encore admin".into(),
        ));
    };
    let doc = compiled::open(root, currency).map_err(|faults| {
        let detail = faults.first().map(ToString::to_string).unwrap_or_default();
        reason(ReasonCode::ConfigInvalid, None, None, None, detail)
    })?;
    let mut headers = Vec::new();
    for i in 0..doc.campaign_count() {
        let header = doc.campaign_header(i);
        let keep = match (&funnel.campaign_id, &header) {
            (Some(id), Ok(h)) => &h.id == id,
            (Some(_), Err(_)) => false,
            (None, _) => true,
        };
        if keep {
            headers.push((i, header));
        }
    }
    Ok(Plan { doc, headers })
}

impl Plan<'_> {
    /// The purchase facts the campaigns' triggers test.
    pub fn fact_needs(&self) -> FactNeeds {
        let mut needs = FactNeeds::default();
        for (_, header) in &self.headers {
            if let Ok(h) = header {
                if h.status == Status::Active {
                    let n = triggers::needs(&h.triggers);
                    needs.tags |= n.tags;
                    needs.product_types |= n.product_types;
                    needs.vendors |= n.vendors;
                    needs.collections |= n.collections;
                }
            }
        }
        needs
    }

    /// Decides the offer for this step.
    pub fn decide<F: Facts>(&self, ctx: &Context, facts: &mut F) -> Decision {
        let mut reasons = Reasons::default();
        let offer = self.decide_into(ctx, facts, &mut reasons);
        Decision {
            offer,
            reasons: reasons.into_vec(),
        }
    }

    fn decide_into<F: Facts>(
        &self,
        ctx: &Context,
        facts: &mut F,
        reasons: &mut Reasons,
    ) -> Option<Offer> {
        let funnel = ctx.funnel;
        let max_offers = self.doc.defaults.max_offers_per_purchase;
        if funnel.offers_shown >= max_offers
            || funnel.offers_accepted >= config::MAX_OFFERS_PER_PURCHASE
        {
            reasons.push(reason(
                ReasonCode::MaxOffersReached,
                None,
                None,
                None,
                format!(
                    "{} offers were shown and {} accepted; at most {max_offers} are shown",
                    funnel.offers_shown, funnel.offers_accepted
                ),
            ));
            return None;
        }
        if ctx.purchase.lines.is_empty() {
            reasons.push(reason(
                ReasonCode::PurchaseEmpty,
                None,
                None,
                None,
                "the purchase has no lines".into(),
            ));
            return None;
        }
        if ctx.purchase.shop_total <= 0 && ctx.purchase.presentment_currency != ctx.shop_currency {
            reasons.push(reason(
                ReasonCode::PurchaseInvalid,
                None,
                None,
                None,
                "the purchase total is zero, so prices cannot be shown in the buyer's currency"
                    .into(),
            ));
            return None;
        }
        match &funnel.campaign_id {
            Some(campaign_id) => self.continue_funnel(campaign_id, ctx, facts, reasons),
            None => self.start_funnel(ctx, facts, reasons),
        }
    }

    fn start_funnel<F: Facts>(
        &self,
        ctx: &Context,
        facts: &mut F,
        reasons: &mut Reasons,
    ) -> Option<Offer> {
        if self.headers.is_empty() {
            reasons.push(reason(
                ReasonCode::NoCampaigns,
                None,
                None,
                None,
                "the configuration has no campaigns".into(),
            ));
            return None;
        }
        let mut eligible: Vec<(usize, &CampaignHeader, Guardrails)> = Vec::new();
        for (index, header) in &self.headers {
            let h = match header {
                Ok(h) => h,
                Err(faults) => {
                    let detail = faults_text(faults);
                    reasons.push(reason(
                        ReasonCode::CampaignInvalid,
                        None,
                        None,
                        None,
                        detail,
                    ));
                    continue;
                }
            };
            let guardrails = self
                .doc
                .defaults
                .guardrails
                .with(&h.guardrails, CapSource::Campaign);
            match eligibility(h, &guardrails, ctx) {
                Ok(()) => eligible.push((*index, h, guardrails)),
                Err((code, detail)) => reasons.push(reason(code, Some(&h.id), None, None, detail)),
            }
        }
        eligible.sort_unstable_by(|a, b| {
            b.1.priority
                .cmp(&a.1.priority)
                .then_with(|| a.1.id.cmp(&b.1.id))
        });
        for (index, header, guardrails) in eligible {
            let entry = header
                .entry_step
                .clone()
                .or_else(|| self.doc.first_step_id(index));
            let Some(step_id) = entry else {
                reasons.push(reason(
                    ReasonCode::CampaignInvalid,
                    Some(&header.id),
                    None,
                    None,
                    format!("$.campaigns[{index}].steps[0].id: the first step has no id, so the campaign has no entry step"),
                ));
                continue;
            };
            match self.load_step(index, header, &step_id, reasons) {
                Some(step) => {
                    if let Some(offer) =
                        self.try_step(header, &step, &guardrails, ctx, facts, reasons)
                    {
                        return Some(offer);
                    }
                    reasons.push(reason(
                        ReasonCode::NoViableCandidate,
                        Some(&header.id),
                        Some(&step.id),
                        None,
                        "no candidate of the entry step passed the guardrails; trying the next campaign".into(),
                    ));
                }
                None => continue,
            }
        }
        None
    }

    fn continue_funnel<F: Facts>(
        &self,
        campaign_id: &str,
        ctx: &Context,
        facts: &mut F,
        reasons: &mut Reasons,
    ) -> Option<Offer> {
        let Some((index, header)) = self
            .headers
            .iter()
            .find_map(|(i, h)| h.as_ref().ok().map(|h| (*i, h)))
        else {
            reasons.push(reason(
                ReasonCode::FunnelCampaignGone,
                Some(campaign_id),
                None,
                None,
                "the campaign this purchase started with is no longer in the configuration".into(),
            ));
            return None;
        };
        let Some(mut step_id) = ctx.funnel.step_id.clone() else {
            reasons.push(reason(
                ReasonCode::FunnelComplete,
                Some(campaign_id),
                None,
                None,
                "the funnel has no further step".into(),
            ));
            return None;
        };
        if header.status != Status::Active {
            reasons.push(reason(
                ReasonCode::CampaignPaused,
                Some(campaign_id),
                None,
                None,
                "the campaign was paused during this funnel".into(),
            ));
            return None;
        }
        let guardrails = self
            .doc
            .defaults
            .guardrails
            .with(&header.guardrails, CapSource::Campaign);
        // Follow onDecline past steps with nothing to show; bounded against cycles.
        for _ in 0..16 {
            let step = self.load_step(index, header, &step_id, reasons)?;
            if let Some(offer) = self.try_step(header, &step, &guardrails, ctx, facts, reasons) {
                return Some(offer);
            }
            match &step.on_decline {
                Some(next) => {
                    reasons.push(reason(
                        ReasonCode::NoViableCandidate,
                        Some(&header.id),
                        Some(&step.id),
                        None,
                        format!("nothing to show at this step; moving to its decline step {next}"),
                    ));
                    step_id = next.clone();
                }
                None => {
                    reasons.push(reason(
                        ReasonCode::NoViableCandidate,
                        Some(&header.id),
                        Some(&step.id),
                        None,
                        "nothing to show at this step and it has no decline step".into(),
                    ));
                    return None;
                }
            }
        }
        None
    }

    fn load_step(
        &self,
        index: usize,
        header: &CampaignHeader,
        step_id: &str,
        reasons: &mut Reasons,
    ) -> Option<Step> {
        match self.doc.campaign_step(index, step_id) {
            Ok(Some(step)) => Some(step),
            Ok(None) => {
                reasons.push(reason(
                    ReasonCode::FunnelStepGone,
                    Some(&header.id),
                    Some(step_id),
                    None,
                    format!("the campaign has no step \"{step_id}\""),
                ));
                None
            }
            Err(faults) => {
                let detail = faults_text(&faults);
                reasons.push(reason(
                    ReasonCode::CampaignInvalid,
                    Some(&header.id),
                    Some(step_id),
                    None,
                    detail,
                ));
                None
            }
        }
    }

    fn try_step<F: Facts>(
        &self,
        header: &CampaignHeader,
        step: &Step,
        guardrails: &Guardrails,
        ctx: &Context,
        facts: &mut F,
        reasons: &mut Reasons,
    ) -> Option<Offer> {
        if let Some(stat) = facts.offer_stat(&header.id, &step.id) {
            let paused = stat.accepts >= guardrails.refund_rate_min_accepts
                && refund_rate_over(
                    stat.refunded_units,
                    stat.accepted_units.max(0),
                    guardrails.refund_rate_pause,
                );
            if paused {
                reasons.push(reason(
                    ReasonCode::RefundRatePaused,
                    Some(&header.id),
                    Some(&step.id),
                    None,
                    format!(
                        "{} of {} accepted units were refunded, above the {}% pause threshold",
                        stat.refunded_units,
                        stat.accepted_units,
                        pricing::percent_text(guardrails.refund_rate_pause)
                    ),
                ));
                return None;
            }
        }
        let subject = ctx
            .purchase
            .customer_id
            .as_deref()
            .unwrap_or(&ctx.purchase.reference_id);
        let experiment = step.experiment.as_ref().or(header.experiment.as_ref());
        let arm = experiment.and_then(|e| experiment::assign(e, subject));
        let offer = &step.offer;
        let discount = arm.and_then(|a| a.discount).unwrap_or(offer.discount);
        let source = arm
            .and_then(|a| a.products.as_ref())
            .unwrap_or(&offer.products);
        let copy_table = arm.and_then(|a| a.copy.as_ref()).unwrap_or(&offer.copy);

        let candidates = self.candidates(source, header, step, ctx, facts, reasons);
        let check = Checker {
            header,
            step,
            guardrails,
            ctx,
            discount,
            refill: offer.refill,
        };
        for candidate in candidates {
            let variants: Vec<CatalogVariant> = match candidate {
                Candidate::Variants(ids) => {
                    let mut found = Vec::with_capacity(ids.len());
                    for id in &ids {
                        match facts.variant(id) {
                            Some(v) => found.push(v),
                            None => {
                                reasons.push(reason(
                                    ReasonCode::VariantNotInCatalog,
                                    Some(&header.id),
                                    Some(&step.id),
                                    Some(id),
                                    "the variant is not in the catalog Encore was given (deleted or unpublished?)".into(),
                                ));
                                break;
                            }
                        }
                    }
                    if found.len() != ids.len() {
                        continue;
                    }
                    found
                }
                Candidate::Product(product_id) => {
                    let mut chosen = None;
                    for v in facts.variants_of_product(&product_id) {
                        if check.variant(&v, offer.quantity, reasons).is_some() {
                            chosen = Some(v);
                            break;
                        }
                    }
                    match chosen {
                        Some(v) => vec![v],
                        None => continue,
                    }
                }
            };
            if let Some(products) = check.products(&variants, offer, reasons) {
                let changes = self.changes(
                    &products,
                    header,
                    step,
                    experiment.map(|e| &e.id),
                    arm.map(|a| &a.id),
                    ctx,
                    offer,
                    &discount,
                );
                let title = products
                    .first()
                    .map(|p| p.title.clone())
                    .unwrap_or_default();
                return Some(Offer {
                    campaign_id: header.id.clone(),
                    step_id: step.id.clone(),
                    experiment_id: arm.and(experiment).map(|e| e.id.clone()),
                    arm_id: arm.map(|a| a.id.clone()),
                    next_step_on_accept: step.on_accept.clone(),
                    next_step_on_decline: step.on_decline.clone(),
                    products,
                    changes,
                    copy: resolve_copy(copy_table, ctx.locale, &title),
                });
            }
        }
        None
    }

    fn candidates<F: Facts>(
        &self,
        source: &ProductSource,
        header: &CampaignHeader,
        step: &Step,
        ctx: &Context,
        facts: &mut F,
        reasons: &mut Reasons,
    ) -> Vec<Candidate> {
        match source {
            ProductSource::Candidates(list) => {
                list.iter().cloned().map(Candidate::Variants).collect()
            }
            ProductSource::Auto {
                max_candidates,
                min_lift_permille,
            } => {
                let mut purchased: Vec<&str> = ctx
                    .purchase
                    .lines
                    .iter()
                    .map(|l| l.product_id.as_str())
                    .collect();
                purchased.sort_unstable();
                purchased.dedup();
                let out: Vec<Candidate> = crate::facts::auto_suggestions(
                    facts.suggestions_for(&purchased),
                    *max_candidates,
                    *min_lift_permille,
                )
                .into_iter()
                .map(|s| Candidate::Product(s.suggested_product_id))
                .collect();
                if out.is_empty() {
                    reasons.push(reason(
                        ReasonCode::NoSuggestions,
                        Some(&header.id),
                        Some(&step.id),
                        None,
                        format!("no co-purchase suggestion for the purchased products reaches a lift of {min_lift_permille}‰"),
                    ));
                }
                out
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn changes(
        &self,
        products: &[OfferProduct],
        header: &CampaignHeader,
        step: &Step,
        experiment_id: Option<&String>,
        arm_id: Option<&String>,
        ctx: &Context,
        offer: &config::OfferSpec,
        discount: &Discount,
    ) -> Vec<Change> {
        let currency = ctx.shop_currency;
        let title = offer
            .discount_title
            .clone()
            .unwrap_or_else(|| default_discount_title(discount));
        let mut changes = Vec::new();
        for p in products {
            let explicit = explicit_discount(&p.shop_prices, currency, &title);
            match (&offer.subscription, &p.selling_plan_id) {
                (Some(sub), Some(plan)) => changes.push(Change::AddSubscription {
                    variant_id: p.variant_id.clone(),
                    selling_plan_id: plan.clone(),
                    quantity: p.quantity,
                    initial_shipping_price: currency.format(sub.initial_shipping_price.minor()),
                    recurring_shipping_price: currency.format(sub.recurring_shipping_price.minor()),
                    shipping_title: sub.shipping_title.clone(),
                    discount: explicit,
                }),
                _ => changes.push(Change::AddVariant {
                    variant_id: p.variant_id.clone(),
                    quantity: p.quantity,
                    discount: explicit,
                }),
            }
        }
        if let (Some(shipping), None) = (&offer.shipping, &offer.subscription) {
            changes.push(Change::AddShippingLine {
                price: currency.format(shipping.price.minor()),
                title: shipping.title.clone(),
            });
        }
        let mut value = String::from("{\"campaignId\":");
        push_json_string(&mut value, &header.id);
        value.push_str(",\"stepId\":");
        push_json_string(&mut value, &step.id);
        for (key, v) in [("experimentId", experiment_id), ("armId", arm_id)] {
            if let Some(v) = v {
                value.push_str(",\"");
                value.push_str(key);
                value.push_str("\":");
                push_json_string(&mut value, v);
            }
        }
        // The decision's identity (purchase and funnel position, the server's `seq`): the
        // referenceId is not the order id, so attribution joins an order to its decisions
        // through these when it reads the order's metafields.
        value.push_str(",\"referenceId\":");
        push_json_string(&mut value, &ctx.purchase.reference_id);
        value.push_str(",\"seq\":");
        value.push_str(&int_text(ctx.funnel.offers_shown));
        value.push('}');
        changes.push(Change::SetMetafield {
            namespace: METAFIELD_NAMESPACE.to_owned(),
            key: ["offer-", &int_text(ctx.funnel.offers_shown + 1)].concat(),
            value,
            value_type: "json_string",
        });
        changes
    }
}

/// A candidate: explicit variants, or a suggested product whose first viable variant is used.
enum Candidate {
    Variants(Vec<String>),
    Product(String),
}

fn eligibility(
    h: &CampaignHeader,
    guardrails: &Guardrails,
    ctx: &Context,
) -> Result<(), (ReasonCode, String)> {
    match h.status {
        Status::Active => {}
        Status::Paused => {
            return Err((ReasonCode::CampaignPaused, "the campaign is paused".into()))
        }
        Status::Draft => return Err((ReasonCode::CampaignDraft, "the campaign is a draft".into())),
    }
    if let Some(start) = h.starts_at.filter(|s| ctx.now < *s) {
        let wait = start - ctx.now;
        let (days, hours, minutes) = (wait / 86_400, wait % 86_400 / 3600, wait % 3600 / 60);
        return Err((
            ReasonCode::ScheduleNotStarted,
            format!("the campaign has not started; it starts in {days} d {hours} h {minutes} min"),
        ));
    }
    if h.ends_at.is_some_and(|e| ctx.now >= e) {
        return Err((
            ReasonCode::ScheduleEnded,
            "the campaign's schedule has ended".into(),
        ));
    }
    let currency = ctx.shop_currency;
    let subtotal = &ctx.merchandise_subtotal;
    let min = guardrails.min_purchase.minor();
    if subtotal.minor < min {
        return Err((
            ReasonCode::BelowMinPurchase,
            format!(
                "the merchandise subtotal {} is below the minimum purchase {}",
                subtotal.text(),
                currency.format(min)
            ),
        ));
    }
    triggers::check(h, ctx.purchase, subtotal, ctx.customer, currency)
}

/// Whether `refunded` of `accepted` units is over `pause` (basis points): in 64 bits where the
/// products fit (no 128-bit multiply, a call in wasm), the same comparison in 128 otherwise.
fn refund_rate_over(refunded: i64, accepted: i64, pause: i64) -> bool {
    match (refunded.checked_mul(10_000), accepted.checked_mul(pause)) {
        (Some(a), Some(b)) => a > b,
        _ => i128::from(refunded) * 10_000 > i128::from(accepted) * i128::from(pause),
    }
}

/// Checks and prices candidates against the guardrails.
struct Checker<'a> {
    header: &'a CampaignHeader,
    step: &'a Step,
    guardrails: &'a Guardrails,
    ctx: &'a Context<'a>,
    discount: Discount,
    refill: bool,
}

impl Checker<'_> {
    fn skip(&self, reasons: &mut Reasons, code: ReasonCode, variant: &str, detail: String) {
        reasons.push(reason(
            code,
            Some(&self.header.id),
            Some(&self.step.id),
            Some(variant),
            detail,
        ));
    }

    /// The per-variant guardrails: re-offer, stock, selling plan, price. Returns the unit price.
    fn variant(&self, v: &CatalogVariant, quantity: i64, reasons: &mut Reasons) -> Option<i64> {
        let purchase = self.ctx.purchase;
        let funnel = self.ctx.funnel;
        if funnel.accepted_variant_ids.contains(&v.id)
            || funnel.accepted_product_ids.contains(&v.product_id)
        {
            self.skip(
                reasons,
                ReasonCode::AlreadyPurchased,
                &v.id,
                "the buyer already accepted this product in this funnel".into(),
            );
            return None;
        }
        if !self.refill
            && purchase
                .lines
                .iter()
                .any(|l| l.product_id == v.product_id || l.variant_id == v.id)
        {
            self.skip(
                reasons,
                ReasonCode::AlreadyPurchased,
                &v.id,
                "the product is already in the purchase; mark the offer as a refill to offer it again".into(),
            );
            return None;
        }
        if v.inventory_tracked
            && v.inventory_policy == InventoryPolicy::Deny
            && v.inventory_available < quantity
        {
            self.skip(
                reasons,
                ReasonCode::OutOfStock,
                &v.id,
                [
                    &int_text(v.inventory_available),
                    " available, ",
                    &int_text(quantity),
                    " needed, and the variant does not sell when out of stock",
                ]
                .concat(),
            );
            return None;
        }
        match pricing::parse_catalog_price(v.price.as_deref(), self.ctx.shop_currency) {
            Ok(p) => Some(p),
            Err(PriceError::InvalidPrice(detail)) => {
                self.skip(reasons, ReasonCode::PriceInvalid, &v.id, detail);
                None
            }
            Err(_) => None,
        }
    }

    /// Prices all products of a candidate and applies the caps and margin floor.
    fn products(
        &self,
        variants: &[CatalogVariant],
        offer: &config::OfferSpec,
        reasons: &mut Reasons,
    ) -> Option<Vec<OfferProduct>> {
        let currency = self.ctx.shop_currency;
        let purchase = self.ctx.purchase;
        let quantity = offer.quantity;
        let mut products = Vec::with_capacity(variants.len());
        let mut total = 0i64;
        for v in variants {
            let unit = self.variant(v, quantity, reasons)?;
            let selling_plan_id = match &offer.subscription {
                None => None,
                Some(sub) => {
                    let plan = match &sub.selling_plan_id {
                        Some(id) => v.selling_plan_ids.iter().find(|p| *p == id).cloned(),
                        None => v.selling_plan_ids.first().cloned(),
                    };
                    if plan.is_none() {
                        self.skip(
                            reasons,
                            ReasonCode::SellingPlanMissing,
                            &v.id,
                            "the offer is a subscription but the variant has no matching selling plan".into(),
                        );
                        return None;
                    }
                    plan
                }
            };
            let compare_at = v
                .compare_at_price
                .as_deref()
                .and_then(|c| currency.parse(c).ok())
                .filter(|c| *c > 0);
            let priced = match pricing::price(unit, quantity, self.discount, compare_at, currency) {
                Ok(p) => p,
                Err(PriceError::InvalidPrice(detail)) => {
                    self.skip(reasons, ReasonCode::PriceInvalid, &v.id, detail);
                    return None;
                }
                Err(PriceError::Overflow) => {
                    self.skip(
                        reasons,
                        ReasonCode::PriceInvalid,
                        &v.id,
                        "the price × quantity is too large".into(),
                    );
                    return None;
                }
            };
            if let (Some(floor), Some(cost)) = (
                self.guardrails.margin_floor,
                v.unit_cost.as_deref().and_then(|c| currency.parse(c).ok()),
            ) {
                let offer_price = priced.prices.offer;
                let margin = i128::from(offer_price) - i128::from(cost) * i128::from(quantity);
                if margin * 10_000 < i128::from(offer_price) * i128::from(floor) {
                    self.skip(
                        reasons,
                        ReasonCode::MarginBelowFloor,
                        &v.id,
                        format!(
                            "at {} the margin is below the {}% floor",
                            currency.format(offer_price),
                            pricing::percent_text(floor)
                        ),
                    );
                    return None;
                }
            }
            total = total.saturating_add(priced.prices.offer);
            let presentment = pricing::to_presentment(
                &priced.prices,
                purchase.shop_total,
                purchase.presentment_total,
                purchase.presentment_currency,
            )
            .filter(|_| purchase.shop_total > 0)
            .unwrap_or(priced.prices);
            products.push(OfferProduct {
                product_id: v.product_id.clone(),
                variant_id: v.id.clone(),
                title: v.product_title.clone(),
                variant_title: v.title.clone(),
                image_url: v.image_url.clone(),
                quantity,
                selling_plan_id,
                shop_prices: priced.prices,
                presentment_prices: presentment,
            });
        }
        let first = &variants[0].id;
        let configured = self.guardrails.max_offer_price;
        let cap = configured.or_else(|| config::default_max_offer_price(currency));
        if let Some(cap) = cap.map(Amount::minor).filter(|cap| total > *cap) {
            let source = match (configured, self.guardrails.max_offer_price_source) {
                (None, _) | (_, CapSource::CurrencyDefault) => format!(
                    "Encore's default for {currency}; set defaults.guardrails.maxOfferPrice to change it"
                ),
                (_, CapSource::ShopDefaults) => "the shop's defaults.guardrails".to_owned(),
                (_, CapSource::Campaign) => "this campaign's guardrails".to_owned(),
            };
            self.skip(
                reasons,
                ReasonCode::PriceOverCap,
                first,
                format!(
                    "the offer price {} is above the cap {} (maxOfferPrice from {source})",
                    currency.format(total),
                    currency.format(cap)
                ),
            );
            return None;
        }
        let subtotal = self.ctx.merchandise_subtotal.minor;
        let share_cap =
            share_floor(subtotal, self.guardrails.max_share_of_purchase, 10_000).unwrap_or(0);
        if total > share_cap {
            self.skip(
                reasons,
                ReasonCode::PriceOverShareOfPurchase,
                first,
                format!(
                    "the offer price {} is above {}% of the purchase ({}) (maxShareOfPurchasePercent)",
                    currency.format(total),
                    pricing::percent_text(self.guardrails.max_share_of_purchase),
                    currency.format(share_cap)
                ),
            );
            return None;
        }
        Some(products)
    }
}

fn explicit_discount(prices: &Prices, currency: Currency, title: &str) -> Option<ExplicitDiscount> {
    let value = pricing::discount_value(prices.original, prices.savings)?;
    Some(ExplicitDiscount {
        value: value.value_text(currency),
        value_type: value.value_type(),
        title: title.to_owned(),
    })
}

fn default_discount_title(discount: &Discount) -> String {
    match discount {
        Discount::Percent(bp) => [&pricing::percent_text(*bp), "% off"].concat(),
        _ => "Post-purchase offer".to_owned(),
    }
}

/// Picks the copy for `locale`: the exact locale, then its language ("fr" for "fr-CA"), then
/// "en", then the first given; missing texts fall back to English defaults.
pub fn resolve_copy(table: &[(String, CopyText)], locale: &str, title: &str) -> Copy {
    let language = locale.split(['-', '_']).next().unwrap_or(locale);
    let found = table
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case(locale))
        .or_else(|| table.iter().find(|(l, _)| l.eq_ignore_ascii_case(language)))
        .or_else(|| table.iter().find(|(l, _)| l == "en"))
        .or_else(|| table.first());
    let (chosen_locale, text) = match found {
        Some((l, t)) => (l.clone(), t.clone()),
        None => ("en".to_owned(), CopyText::default()),
    };
    Copy {
        locale: chosen_locale,
        headline: text
            .headline
            .unwrap_or_else(|| ["Add ", title, " to your order"].concat()),
        body: text.body.unwrap_or_else(|| {
            "A one-time offer for your order, with no need to check out again.".to_owned()
        }),
        accept_label: text.accept_label.unwrap_or_else(|| "Pay now".to_owned()),
        decline_label: text
            .decline_label
            .unwrap_or_else(|| "Decline this offer".to_owned()),
    }
}

/// The faults of a configuration part, for a reason's detail.
fn faults_text(faults: &[ConfigFault]) -> String {
    faults
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn reason(
    code: ReasonCode,
    campaign: Option<&str>,
    step: Option<&str>,
    variant: Option<&str>,
    detail: String,
) -> Reason {
    Reason {
        code,
        campaign_id: campaign.map(str::to_owned),
        step_id: step.map(str::to_owned),
        variant_id: variant.map(str::to_owned),
        detail,
    }
}

fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    // Runs of bytes that need no escape are copied whole; a run ends only at an ASCII byte, so
    // every run is whole UTF-8.
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b if b < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if escaped.is_empty() {
            out.push_str(&format!("\\u{:04x}", b));
        } else {
            out.push_str(escaped);
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::{push_json_string, refund_rate_over};

    proptest::proptest! {
        #[test]
        fn the_refund_rate_compares_as_in_128_bits(
            refunded in proptest::prop_oneof![0i64..1_000, proptest::num::i64::ANY],
            accepted in proptest::prop_oneof![0i64..1_000, 0i64..i64::MAX],
            pause in proptest::prop_oneof![0i64..10_000, proptest::num::i64::ANY],
        ) {
            let wide = i128::from(refunded) * 10_000 > i128::from(accepted) * i128::from(pause);
            proptest::prop_assert_eq!(refund_rate_over(refunded, accepted, pause), wide);
        }
    }

    #[test]
    fn a_metafield_string_is_json_that_reads_back_as_itself() {
        for s in ["", "r-1001", "a\"b\\c", "\u{1}é\n\"", "camp\u{1f}ña\\"] {
            let mut out = String::new();
            push_json_string(&mut out, s);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s, "{out}");
        }
        let mut out = String::new();
        push_json_string(&mut out, "ñ\"\u{1}");
        assert_eq!(out, r#""ñ\"\u0001""#);
    }
}
