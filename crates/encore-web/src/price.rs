//! One offer's price for a chosen variant, by the engine's own reading of the offer's quantity
//! and discount and its one pricing rule: the editor's price preview.

use encore_engine::config::offer_pricing;
use encore_engine::pricing::{self, PriceError};
use serde::Serialize;

use crate::{currency, faults, to_json, Fault};

/// The preview: the prices, or why there are none.
#[derive(Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
enum Preview {
    /// The whole quantity's prices in the shop currency.
    Prices {
        quantity: i64,
        original_price: String,
        offer_price: String,
        savings: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        compare_at_price: Option<String>,
        savings_percent: i64,
    },
    /// The offer's quantity or discount is refused, at these paths below the offer (`$`).
    Faults(Vec<Fault>),
    /// The variant cannot be priced (its price is missing, not above zero, or too large).
    PriceError(String),
}

/// The price of `offer` (an offer object of the configuration, as JSON) for a variant priced
/// `unit_price` (compare-at `compare_at_price`), all in the shop currency `currency_code`:
/// JSON `{"prices": {...}}`, `{"faults": [...]}` or `{"priceError": "..."}`.
pub fn price_offer(
    offer: &str,
    unit_price: &str,
    compare_at_price: Option<&str>,
    currency_code: &str,
) -> Result<String, String> {
    let currency = currency(currency_code)?;
    let offer: serde_json::Value =
        serde_json::from_str(offer).map_err(|e| format!("the offer is not JSON: {e}"))?;
    let preview = match offer_pricing(&&offer, currency) {
        Err(list) => Preview::Faults(faults(list)),
        Ok((quantity, discount)) => {
            let compare_at = compare_at_price.and_then(|c| currency.parse(c).ok());
            match pricing::parse_catalog_price(Some(unit_price), currency)
                .and_then(|unit| pricing::price(unit, quantity, discount, compare_at, currency))
            {
                Ok(priced) => {
                    let p = priced.prices;
                    Preview::Prices {
                        quantity,
                        original_price: currency.format(p.original),
                        offer_price: currency.format(p.offer),
                        savings: currency.format(p.savings),
                        compare_at_price: p.compare_at.map(|c| currency.format(c)),
                        savings_percent: p.savings_percent,
                    }
                }
                Err(PriceError::InvalidPrice(why)) => Preview::PriceError(why),
                Err(PriceError::Overflow) => {
                    Preview::PriceError("the price is too large to compute".into())
                }
            }
        }
    };
    Ok(to_json(&preview))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preview(offer: &str, price: &str, currency: &str) -> serde_json::Value {
        serde_json::from_str(&price_offer(offer, price, None, currency).expect("priced"))
            .expect("JSON")
    }

    #[test]
    fn a_percentage_rounds_the_amount_saved_half_away_from_zero() {
        // 25% of ¥1,998 is ¥499.5: the buyer saves ¥500.
        let p = preview(r#"{"discount": {"percent": 25}}"#, "1998", "JPY");
        assert_eq!(p["prices"]["offerPrice"], "1498");
        assert_eq!(p["prices"]["savings"], "500");
    }

    #[test]
    fn the_quantity_multiplies_the_price_and_an_amount_off_applies_per_unit() {
        let p = preview(
            r#"{"quantity": 3, "discount": {"amountOff": "2.50"}}"#,
            "10.00",
            "USD",
        );
        assert_eq!(p["prices"]["quantity"], 3);
        assert_eq!(p["prices"]["originalPrice"], "30.00");
        assert_eq!(p["prices"]["offerPrice"], "22.50");
    }

    #[test]
    fn a_refused_discount_gives_the_engine_s_fault_at_its_path() {
        let p = preview(r#"{"discount": {"percent": 150}}"#, "10.00", "USD");
        let fault = &p["faults"][0];
        assert_eq!(fault["path"], "$.discount.percent");
        assert!(fault["message"]
            .as_str()
            .unwrap()
            .contains("must be between 0 and 100"));
    }

    #[test]
    fn a_variant_price_of_zero_cannot_be_priced() {
        let p = preview(r#"{}"#, "0.00", "USD");
        assert!(p["priceError"].as_str().unwrap().contains("not above zero"));
    }

    #[test]
    fn an_unknown_currency_is_refused() {
        assert!(price_offer("{}", "1.00", None, "XYZ").is_err());
    }
}
