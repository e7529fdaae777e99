//! Reason codes: why a campaign or candidate was passed over ("why no offer?").

use std::fmt;

/// A stable code for why a campaign, step or candidate gave no offer. docs/campaigns.md
/// explains each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonCode {
    ConfigMissing,
    ConfigInvalid,
    CampaignInvalid,
    NoCampaigns,
    ShopCurrencyUnknown,
    PurchaseInvalid,
    PurchaseEmpty,
    FunnelComplete,
    FunnelCampaignGone,
    FunnelStepGone,
    MaxOffersReached,
    CampaignPaused,
    CampaignDraft,
    ScheduleNotStarted,
    ScheduleEnded,
    TriggerProductsNotMatched,
    TriggerVariantsNotMatched,
    TriggerCollectionsNotMatched,
    TriggerTagsNotMatched,
    TriggerProductTypesNotMatched,
    TriggerVendorsNotMatched,
    TriggerPurchaseValueOutOfRange,
    TriggerCustomerNotMatched,
    TriggerCountryNotMatched,
    ExcludedByPurchase,
    BelowMinPurchase,
    RefundRatePaused,
    NoViableCandidate,
    VariantNotInCatalog,
    AlreadyPurchased,
    OutOfStock,
    PriceInvalid,
    PriceOverCap,
    PriceOverShareOfPurchase,
    MarginBelowFloor,
    SellingPlanMissing,
    NoSuggestions,
    ReasonsTruncated,
}

impl ReasonCode {
    /// The code as written in the Function output, such as `PRICE_OVER_CAP`.
    pub fn as_str(self) -> &'static str {
        use ReasonCode::*;
        match self {
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
