//! Reason codes: why a campaign or candidate was passed over ("why no offer?"), and the
//! reasons as the offer Function writes them: one record (header `ER1`), because the provider
//! charges about 200 instructions for every string a Function hands it and a reason as an
//! object was six (three keys, three values).

use std::fmt;

use crate::record::{Cursor, Record, Writer};

/// Declares [`ReasonCode`], its text and the list of all codes from one table, so a code
/// cannot be added without its text or be missing from [`ReasonCode::ALL`] (the reasons'
/// reader finds codes there).
macro_rules! reason_codes {
    ($($variant:ident => $text:literal,)*) => {
        /// A stable code for why a campaign, step or candidate gave no offer. docs/campaigns.md
        /// explains each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ReasonCode {
            $($variant,)*
        }

        impl ReasonCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ReasonCode] = &[$(ReasonCode::$variant,)*];

            /// The code as written in the Function output, such as `PRICE_OVER_CAP`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ReasonCode::$variant => $text,)*
                }
            }
        }
    };
}

reason_codes! {
    ConfigMissing => "CONFIG_MISSING",
    ConfigInvalid => "CONFIG_INVALID",
    CampaignInvalid => "CAMPAIGN_INVALID",
    NoCampaigns => "NO_CAMPAIGNS",
    ShopCurrencyUnknown => "SHOP_CURRENCY_UNKNOWN",
    PurchaseInvalid => "PURCHASE_INVALID",
    PurchaseEmpty => "PURCHASE_EMPTY",
    FunnelComplete => "FUNNEL_COMPLETE",
    FunnelCampaignGone => "FUNNEL_CAMPAIGN_GONE",
    FunnelStepGone => "FUNNEL_STEP_GONE",
    MaxOffersReached => "MAX_OFFERS_REACHED",
    CampaignPaused => "CAMPAIGN_PAUSED",
    CampaignDraft => "CAMPAIGN_DRAFT",
    ScheduleNotStarted => "SCHEDULE_NOT_STARTED",
    ScheduleEnded => "SCHEDULE_ENDED",
    TriggerProductsNotMatched => "TRIGGER_PRODUCTS_NOT_MATCHED",
    TriggerVariantsNotMatched => "TRIGGER_VARIANTS_NOT_MATCHED",
    TriggerCollectionsNotMatched => "TRIGGER_COLLECTIONS_NOT_MATCHED",
    TriggerTagsNotMatched => "TRIGGER_TAGS_NOT_MATCHED",
    TriggerProductTypesNotMatched => "TRIGGER_PRODUCT_TYPES_NOT_MATCHED",
    TriggerVendorsNotMatched => "TRIGGER_VENDORS_NOT_MATCHED",
    TriggerPurchaseValueOutOfRange => "TRIGGER_PURCHASE_VALUE_OUT_OF_RANGE",
    TriggerCustomerNotMatched => "TRIGGER_CUSTOMER_NOT_MATCHED",
    TriggerCountryNotMatched => "TRIGGER_COUNTRY_NOT_MATCHED",
    ExcludedByPurchase => "EXCLUDED_BY_PURCHASE",
    BelowMinPurchase => "BELOW_MIN_PURCHASE",
    RefundRatePaused => "REFUND_RATE_PAUSED",
    NoViableCandidate => "NO_VIABLE_CANDIDATE",
    VariantNotInCatalog => "VARIANT_NOT_IN_CATALOG",
    AlreadyPurchased => "ALREADY_PURCHASED",
    OutOfStock => "OUT_OF_STOCK",
    PriceInvalid => "PRICE_INVALID",
    PriceOverCap => "PRICE_OVER_CAP",
    PriceOverShareOfPurchase => "PRICE_OVER_SHARE_OF_PURCHASE",
    MarginBelowFloor => "MARGIN_BELOW_FLOOR",
    SellingPlanMissing => "SELLING_PLAN_MISSING",
    NoSuggestions => "NO_SUGGESTIONS",
    ReasonsTruncated => "REASONS_TRUNCATED",
}

impl ReasonCode {
    /// The code written as `code` ([`ReasonCode::as_str`]); `None` for any other text.
    pub fn from_code(code: &str) -> Option<ReasonCode> {
        ReasonCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why something was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: ReasonCode,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    pub variant_id: Option<String>,
    pub detail: String,
}

// The code is written as its text, not its number: the record stays legible in a fixture or a
// log, and a code added later cannot shift the others.
impl Record for ReasonCode {
    fn write(&self, w: &mut Writer) {
        w.str(self.as_str());
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        ReasonCode::from_code(c.str()?)
    }
}

crate::record_struct!(Reason {
    code,
    campaign_id,
    step_id,
    variant_id,
    detail
});

/// The header of the reasons as the Function writes them.
const RECORDS_HEADER: &str = "ER1";

/// The reasons as one record, as the offer Function writes them (`FunctionRunResult.reasons`).
pub fn write_records(reasons: &[Reason]) -> String {
    // Room for a typical reason each (code, campaign id, words): the Function's allocator never
    // frees, so a buffer grown often is paid more than once, and measuring every reason first
    // costs more than the odd growth.
    let mut w = Writer::with_capacity(RECORDS_HEADER, 128 * reasons.len());
    w.uint(reasons.len() as u64);
    for r in reasons {
        r.write(&mut w);
    }
    w.finish()
}

/// The reasons written by [`write_records`]; `None` when `text` is not such a record (cut,
/// altered, or with bytes after the last reason).
pub fn read_records(text: &str) -> Option<Vec<Reason>> {
    let mut c = Cursor::open(text, RECORDS_HEADER)?;
    let reasons = Vec::<Reason>::read(&mut c)?;
    c.at_end().then_some(reasons)
}

/// The reasons as JSON, as the API answers them and a decision stores them: a list of objects
/// with `code`, then `campaignId`, `stepId` and `variantId` where set, then `detail`.
#[cfg(feature = "serde_json")]
pub fn to_json(reasons: &[Reason]) -> serde_json::Value {
    use serde_json::{Map, Value};
    let one = |r: &Reason| {
        let mut o = Map::new();
        o.insert("code".into(), r.code.as_str().into());
        for (key, id) in [
            ("campaignId", &r.campaign_id),
            ("stepId", &r.step_id),
            ("variantId", &r.variant_id),
        ] {
            if let Some(id) = id {
                o.insert(key.into(), id.as_str().into());
            }
        }
        o.insert("detail".into(), r.detail.as_str().into());
        Value::Object(o)
    };
    Value::Array(reasons.iter().map(one).collect())
}

/// At most this many reasons are reported, so the output stays far below 20 kB.
pub const MAX_REASONS: usize = 40;

/// Collects reasons up to [`MAX_REASONS`], then one `REASONS_TRUNCATED` with the count left out.
#[derive(Debug, Default)]
pub struct Reasons {
    list: Vec<Reason>,
    dropped: usize,
}

impl Reasons {
    /// Records a reason.
    pub fn push(&mut self, reason: Reason) {
        if self.list.len() < MAX_REASONS {
            self.list.push(reason);
        } else {
            self.dropped += 1;
        }
    }

    /// The reasons, with the truncation note last.
    pub fn into_vec(mut self) -> Vec<Reason> {
        if self.dropped > 0 {
            self.list.push(Reason {
                code: ReasonCode::ReasonsTruncated,
                campaign_id: None,
                step_id: None,
                variant_id: None,
                detail: format!("{} more reasons were left out", self.dropped),
            });
        }
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(code: ReasonCode, campaign: Option<&str>, detail: &str) -> Reason {
        Reason {
            code,
            campaign_id: campaign.map(str::to_owned),
            step_id: None,
            variant_id: campaign.map(|_| "30049".to_owned()),
            detail: detail.to_owned(),
        }
    }

    #[test]
    fn every_code_reads_back_from_its_text_and_no_two_share_one() {
        for &code in ReasonCode::ALL {
            assert_eq!(ReasonCode::from_code(code.as_str()), Some(code));
        }
        let mut texts: Vec<&str> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), ReasonCode::ALL.len());
        assert_eq!(ReasonCode::from_code("PRICE_OVER_CAPS"), None);
    }

    #[test]
    fn reasons_read_back_as_written_with_their_words_legible() {
        let reasons = vec![
            reason(
                ReasonCode::TriggerTagsNotMatched,
                Some("campaign-01"),
                "no purchased product has the tags \"é\", missing1",
            ),
            reason(
                ReasonCode::ReasonsTruncated,
                None,
                "3 more reasons were left out",
            ),
        ];
        let text = write_records(&reasons);
        assert!(text.starts_with("ER1"));
        assert!(text.contains("TRIGGER_TAGS_NOT_MATCHED"));
        assert!(text.contains("3 more reasons were left out"));
        assert_eq!(read_records(&text).as_deref(), Some(&reasons[..]));
        assert_eq!(read_records(&write_records(&[])), Some(Vec::new()));
        assert_eq!(
            to_json(&reasons),
            serde_json::json!([
                {"code": "TRIGGER_TAGS_NOT_MATCHED", "campaignId": "campaign-01",
                 "variantId": "30049", "detail": "no purchased product has the tags \"é\", missing1"},
                {"code": "REASONS_TRUNCATED", "detail": "3 more reasons were left out"},
            ])
        );
    }

    #[test]
    fn a_cut_extended_or_foreign_text_is_not_reasons() {
        let text = write_records(&[reason(ReasonCode::OutOfStock, Some("c"), "0 available")]);
        for cut in 0..text.len() {
            assert_eq!(read_records(&text[..cut]), None, "cut at {cut}");
        }
        assert_eq!(read_records(&format!("{text}a")), None);
        assert_eq!(
            read_records(&text.replace("OUT_OF_STOCK", "OUT_OF_STOCX")),
            None
        );
        assert_eq!(read_records("[]"), None);
    }
}
