//! Pricing an offered variant: the discount, the `ExplicitDiscount` that reproduces it exactly,
//! caps, margin and the buyer's-currency amounts for display.

use crate::config::{BasisPoints, Discount};
use crate::money::{format_decimal, mul_div_round, share_floor, Currency};

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
    /// A percentage, used whenever the savings is an exact percentage of the line (in basis
    /// points): Shopify's result is then the same whether it applies the value per unit or per
    /// line, and needs no rounding.
    Percentage(BasisPoints),
    /// An amount off the line in the shop currency, minor units. With a quantity above 1 this
    /// reading (per line) is Encore's assumption; the extension checks Shopify's own
    /// `calculateChangeset` against the offer price before showing it.
    FixedAmount(i64),
}

/// The one rule for telling Shopify a discount: no discount when nothing is saved, a percentage
/// when `savings` is an exact number of basis points of `original`, else the exact amount saved.
pub fn discount_value(original: i64, savings: i64) -> Option<DiscountValue> {
    if savings <= 0 || original <= 0 {
        return None;
    }
    // Prices fit 64 bits ten thousand times over: there, no 128-bit division (a call into
    // compiler_builtins in wasm). The same rule either way.
    if let Some(scaled) = savings.checked_mul(10_000) {
        return Some(if scaled % original == 0 {
            DiscountValue::Percentage(scaled / original)
        } else {
            DiscountValue::FixedAmount(savings)
        });
    }
    let scaled = i128::from(savings) * 10_000;
    if scaled % i128::from(original) == 0 {
        Some(DiscountValue::Percentage(
            (scaled / i128::from(original)) as i64,
        ))
    } else {
        Some(DiscountValue::FixedAmount(savings))
    }
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
    // A whole percentage (most discounts) without writing and trimming its decimals.
    if bp % 100 == 0 {
        return format_decimal(bp / 100, 0);
    }
    let text = format_decimal(bp, 2);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Why a variant could not be priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceError {
    /// The catalog price is missing, not a decimal, zero or negative.
    InvalidPrice(String),
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
///
/// A percentage discount rounds the **discount** (the amount saved on the line) half away from
/// zero, so a tie favours the buyer: 25% off ¥1,998 saves ¥500 (499.5 rounded), price ¥1,498.
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
    let offer = match discount {
        Discount::None => original,
        Discount::Percent(bp) => {
            let off = mul_div_round(original, bp, 10_000).ok_or(PriceError::Overflow)?;
            original - off.min(original)
        }
        Discount::AmountOff(a) => {
            let off = a
                .minor()
                .checked_mul(quantity)
                .ok_or(PriceError::Overflow)?;
            original.saturating_sub(off).max(0)
        }
        Discount::FixedPrice(a) => a
            .minor()
            .checked_mul(quantity)
            .ok_or(PriceError::Overflow)?
            .min(original),
    };
    let savings = original - offer;
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
        discount: discount_value(original, savings),
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
    use crate::config::Amount;

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    #[test]
    fn a_percentage_is_written_with_no_trailing_zeros() {
        for (bp, text) in [
            (1500, "15"),
            (1250, "12.5"),
            (1, "0.01"),
            (0, "0"),
            (10_000, "100"),
            (-100, "-1"),
            (-150, "-1.5"),
        ] {
            assert_eq!(percent_text(bp), text, "{bp}");
        }
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
    fn a_rounding_tie_goes_to_the_buyer_in_every_exponent() {
        // 25% off ¥1,998 = ¥499.5 off → ¥500 off, price ¥1,498.
        let jpy = Currency::from_code("JPY").unwrap();
        let p = price(1998, 1, Discount::Percent(2500), None, jpy).unwrap();
        assert_eq!((p.prices.offer, p.prices.savings), (1498, 500));
        // 25% off 19.98 USD = 4.995 off → 5.00 off, price 14.98.
        let p = price(1998, 1, Discount::Percent(2500), None, usd()).unwrap();
        assert_eq!((p.prices.offer, p.prices.savings), (1498, 500));
        // 25% off 1.998 KWD = 0.4995 off → 0.500 off, price 1.498.
        let kwd = Currency::from_code("KWD").unwrap();
        let p = price(1998, 1, Discount::Percent(2500), None, kwd).unwrap();
        assert_eq!((p.prices.offer, p.prices.savings), (1498, 500));
        // Not exact, so Shopify is told the amount: 5.00 off the line.
        assert_eq!(p.discount, Some(DiscountValue::FixedAmount(500)));
    }

    #[test]
    fn an_amount_off_that_is_an_exact_percentage_is_sent_as_one() {
        // 2.25 off each of 2 × 9.00 = 4.50 of 18.00 = 25%: per unit or per line, Shopify agrees.
        let p = price(
            900,
            2,
            Discount::AmountOff(Amount::from_minor(225)),
            None,
            usd(),
        )
        .unwrap();
        assert_eq!(p.discount, Some(DiscountValue::Percentage(2500)));
        // 1.50 off each = 3.00 of 18.00 is not a whole number of basis points.
        let p = price(
            900,
            2,
            Discount::AmountOff(Amount::from_minor(150)),
            None,
            usd(),
        )
        .unwrap();
        assert_eq!(p.discount, Some(DiscountValue::FixedAmount(300)));
    }

    #[test]
    fn final_price_is_never_negative_nor_above_original() {
        let p = price(
            500,
            2,
            Discount::AmountOff(Amount::from_minor(1000)),
            None,
            usd(),
        )
        .unwrap();
        assert_eq!((p.prices.offer, p.prices.savings), (0, 1000));
        let p = price(
            500,
            1,
            Discount::FixedPrice(Amount::from_minor(900)),
            None,
            usd(),
        )
        .unwrap();
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
