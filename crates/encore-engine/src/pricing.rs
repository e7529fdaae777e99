//! Pricing an offered variant: the discount, the `ExplicitDiscount` that reproduces it exactly,
//! caps, margin and the buyer's-currency amounts for display.

use crate::config::{Amount, BasisPoints, Discount};
use crate::money::{format_decimal, mul_div_round, share_floor, Currency, MoneyError};

/// Prices of one offered product (whole quantity), in one currency's minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prices {
    pub currency: Currency,
    pub original: i64,
    pub offer: i64,
    pub savings: i64,
    pub compare_at: Option<i64>,
    /// Savings as a whole percentage of the original price, rounded down.
    pub savings_percent: i64,
}

/// How Shopify is told the discount: the kind and value of an `ExplicitDiscount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscountValue {
    /// A percentage, used only when Shopify's result cannot differ from Encore's price.
    Percentage(BasisPoints),
    /// An amount off the line in the shop currency, minor units.
    FixedAmount(i64),
}

impl DiscountValue {
    /// The `value` as a decimal string: "15", "12.5", "5.00".
    pub fn value_text(&self, currency: Currency) -> String {
        match self {
            DiscountValue::Percentage(bp) => percent_text(*bp),
            DiscountValue::FixedAmount(minor) => currency.format(*minor),
        }
    }

    /// `percentage` or `fixed_amount`.
    pub fn value_type(&self) -> &'static str {
        match self {
            DiscountValue::Percentage(_) => "percentage",
            DiscountValue::FixedAmount(_) => "fixed_amount",
        }
    }
}

/// A percentage in basis points as text without needless decimals: "15", "12.5", "0.25".
pub fn percent_text(bp: BasisPoints) -> String {
    let text = format_decimal(bp, 2);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Why a variant could not be priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceError {
    /// The catalog price is missing, not a decimal, zero or negative.
    InvalidPrice(String),
    /// A configured amount cannot be written in the shop currency ("0.5" JPY).
    NotRepresentable(MoneyError),
    /// The numbers overflow.
    Overflow,
}

/// A priced product, shop currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub prices: Prices,
    /// `None` when the offer price is the original price.
    pub discount: Option<DiscountValue>,
}

/// Parses a catalog price: a positive decimal in the shop currency.
pub fn parse_catalog_price(text: Option<&str>, currency: Currency) -> Result<i64, PriceError> {
    let text = text.ok_or_else(|| PriceError::InvalidPrice("the variant has no price".into()))?;
    match currency.parse(text) {
        Ok(v) if v > 0 => Ok(v),
        Ok(_) => Err(PriceError::InvalidPrice(format!(
            "the price \"{text}\" is not above zero"
        ))),
        Err(e) => Err(PriceError::InvalidPrice(format!(
            "the price \"{text}\" {e}"
        ))),
    }
}

/// Prices `quantity` units at `unit_price` with `discount`. The offer price is never negative
/// and never above the original price.
pub fn price(
    unit_price: i64,
    quantity: i64,
    discount: Discount,
    compare_at_unit: Option<i64>,
    currency: Currency,
) -> Result<Priced, PriceError> {
    let original = unit_price
        .checked_mul(quantity)
        .ok_or(PriceError::Overflow)?;
    let minor = |a: Amount| a.to_minor(currency).map_err(PriceError::NotRepresentable);
    let offer = match discount {
        Discount::None => original,
        Discount::Percent(bp) => {
            mul_div_round(original, 10_000 - bp, 10_000).ok_or(PriceError::Overflow)?
        }
        Discount::AmountOff(a) => {
            let off = minor(a)?
                .checked_mul(quantity)
                .ok_or(PriceError::Overflow)?;
            original.saturating_sub(off).max(0)
        }
        Discount::FixedPrice(a) => minor(a)?
            .checked_mul(quantity)
            .ok_or(PriceError::Overflow)?
            .min(original),
    };
    let savings = original - offer;
    let discount_value = match discount {
        _ if savings == 0 => None,
        Discount::Percent(bp) if i128::from(original) * i128::from(bp) % 10_000 == 0 => {
            Some(DiscountValue::Percentage(bp))
        }
        _ => Some(DiscountValue::FixedAmount(savings)),
    };
    let compare_at = compare_at_unit
        .filter(|c| *c > unit_price)
        .and_then(|c| c.checked_mul(quantity));
    Ok(Priced {
        prices: Prices {
            currency,
            original,
            offer,
            savings,
            compare_at,
            savings_percent: savings_percent(savings, original),
        },
        discount: discount_value,
    })
}

fn savings_percent(savings: i64, original: i64) -> i64 {
    if original <= 0 {
        0
    } else {
        share_floor(savings, 100, original).unwrap_or(0)
    }
}

/// The same prices in the buyer's currency, converted at the purchase's own rate
/// (presentment total ÷ shop total) with Encore's rounding rule. Savings is the difference of
/// the converted prices, so the displayed numbers always add up.
pub fn to_presentment(
    shop: &Prices,
    shop_total: i64,
    presentment_total: i64,
    currency: Currency,
) -> Option<Prices> {
    let convert = |minor: i64| mul_div_round(minor, presentment_total, shop_total);
    let original = convert(shop.original)?;
    let offer = convert(shop.offer)?;
    let savings = original - offer;
    Some(Prices {
        currency,
        original,
        offer,
        savings,
        compare_at: match shop.compare_at {
            Some(c) => Some(convert(c)?),
            None => None,
        },
        savings_percent: savings_percent(savings, original),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    #[test]
    fn percentage_is_kept_only_when_exact() {
        let p = price(2000, 1, Discount::Percent(1500), None, usd()).unwrap();
        assert_eq!((p.prices.offer, p.prices.savings), (1700, 300));
        assert_eq!(p.discount, Some(DiscountValue::Percentage(1500)));
        assert_eq!(p.discount.unwrap().value_text(usd()), "15");
        // 15% of 19.99 = 2.9985 → the price 16.99 is reproduced with a fixed amount of 3.00.
        let p = price(1999, 1, Discount::Percent(1500), None, usd()).unwrap();
        assert_eq!(p.prices.offer, 1699);
        assert_eq!(p.discount, Some(DiscountValue::FixedAmount(300)));
    }

    #[test]
    fn final_price_is_never_negative_nor_above_original() {
        let p = price(500, 2, Discount::AmountOff(Amount::units(10)), None, usd()).unwrap();
        assert_eq!((p.prices.offer, p.prices.savings), (0, 1000));
        let p = price(500, 1, Discount::FixedPrice(Amount::units(9)), None, usd()).unwrap();
        assert_eq!((p.prices.offer, p.discount), (500, None));
    }

    #[test]
    fn converts_for_display_at_the_purchase_rate() {
        let p = price(2500, 1, Discount::Percent(2000), Some(3000), usd()).unwrap();
        let eur = Currency::from_code("EUR").unwrap();
        // shop total 100.00 USD = 92.00 EUR
        let shown = to_presentment(&p.prices, 10_000, 9_200, eur).unwrap();
        assert_eq!(
            (shown.original, shown.offer, shown.savings, shown.compare_at),
            (2300, 1840, 460, Some(2760))
        );
        let jpy = Currency::from_code("JPY").unwrap();
        let shown = to_presentment(&p.prices, 10_000, 15_049, jpy).unwrap();
        assert_eq!((shown.original, shown.offer), (3762, 3010));
    }
}
