//! Property tests for pricing: caps hold, the discount reproduces the price exactly, and
//! rounding follows the one rule in 0-, 2- and 3-decimal currencies.

use encore_engine::config::{Amount, Discount};
use encore_engine::money::{mul_div_round, Currency};
use encore_engine::pricing::{price, DiscountValue};
use proptest::prelude::*;

fn currencies() -> impl Strategy<Value = Currency> {
    prop_oneof![
        Just("JPY"),
        Just("USD"),
        Just("KWD"),
        Just("EUR"),
        Just("KRW"),
        Just("BHD")
    ]
    .prop_map(|c| Currency::from_code(c).unwrap())
}

fn discounts() -> impl Strategy<Value = Discount> {
    prop_oneof![
        Just(Discount::None),
        (0i64..=10_000).prop_map(Discount::Percent),
        (0i64..=500_000).prop_map(|m| Discount::AmountOff(Amount::from_minor(m))),
        (0i64..=500_000).prop_map(|m| Discount::FixedPrice(Amount::from_minor(m))),
    ]
}

/// What Shopify computes for the line from the `ExplicitDiscount` (percentage rounded with
/// Encore's rule, which is exact whenever Encore chose a percentage).
fn shopify_price(original: i64, discount: &Option<DiscountValue>) -> i64 {
    match discount {
        None => original,
        Some(DiscountValue::Percentage(bp)) => original - original * bp / 10_000,
        Some(DiscountValue::FixedAmount(off)) => original - off,
    }
}

proptest! {
    #[test]
    fn the_discount_reproduces_the_price_exactly(
        currency in currencies(),
        unit in 1i64..10_000_000,
        quantity in 1i64..=100,
        discount in discounts(),
    ) {
        let priced = price(unit, quantity, discount, None, currency).unwrap();
        let p = priced.prices;
        prop_assert_eq!(p.original, unit * quantity);
        prop_assert!(p.offer >= 0, "never negative");
        prop_assert!(p.offer <= p.original, "never above the original");
        prop_assert_eq!(p.savings, p.original - p.offer);
        prop_assert_eq!(shopify_price(p.original, &priced.discount), p.offer);
        if let Some(DiscountValue::Percentage(bp)) = priced.discount {
            prop_assert_eq!(i128::from(p.original) * i128::from(bp) % 10_000, 0);
        }
    }

    #[test]
    fn a_percentage_rounds_the_discount_half_away_from_zero(
        currency in currencies(),
        unit in 1i64..10_000_000,
        quantity in 1i64..=100,
        bp in 0i64..=10_000,
    ) {
        let p = price(unit, quantity, Discount::Percent(bp), None, currency).unwrap().prices;
        prop_assert_eq!(p.savings, mul_div_round(unit * quantity, bp, 10_000).unwrap());
        // A tie (exactly half a minor unit) goes to the buyer: the discount rounds up.
        let exact = i128::from(unit * quantity) * i128::from(bp);
        if exact % 10_000 == 5_000 {
            prop_assert_eq!(i128::from(p.savings) * 10_000, exact + 5_000);
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero(value in -1_000_000_000i64..1_000_000_000, num in 1i64..100_000, den in 1i64..100_000) {
        let r = mul_div_round(value, num, den).unwrap();
        let exact = i128::from(value) * i128::from(num);
        // |r·den − exact| ≤ den/2, and a tie rounds away from zero.
        let diff = i128::from(r) * i128::from(den) - exact;
        prop_assert!(2 * diff.abs() <= i128::from(den));
        if 2 * diff.abs() == i128::from(den) {
            prop_assert_eq!(diff.signum(), exact.signum());
        }
    }

    #[test]
    fn amounts_round_trip_in_every_exponent(currency in currencies(), minor in 0i64..1_000_000_000_000) {
        let text = currency.format(minor);
        prop_assert_eq!(currency.parse(&text), Ok(minor));
    }
}
