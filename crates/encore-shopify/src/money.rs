//! Shopify's money on the wire (a decimal string and a currency code) into integer minor units.

use encore_engine::money::Currency;

/// An amount as Shopify sends it: `{"amount": "19.99", "currency_code": "USD"}` in webhooks,
/// `{"amount": "19.99", "currencyCode": "USD"}` in the Admin API.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct WireMoney {
    pub amount: String,
    #[serde(alias = "currencyCode")]
    pub currency_code: String,
}

/// Why an amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyReadError {
    #[error("unknown currency {0}")]
    UnknownCurrency(String),
    #[error("amount {amount:?} is not a valid {currency} amount")]
    BadAmount { amount: String, currency: String },
}

impl WireMoney {
    /// The amount in minor units of its currency (ISO 4217 exponent).
    pub fn minor_units(&self) -> Result<i64, MoneyReadError> {
        minor_units(&self.amount, &self.currency_code)
    }
}

/// A decimal string in `currency` as integer minor units (`"19.99"`, USD → 1999).
pub fn minor_units(amount: &str, currency: &str) -> Result<i64, MoneyReadError> {
    let c = Currency::from_code(currency)
        .ok_or_else(|| MoneyReadError::UnknownCurrency(currency.to_string()))?;
    c.parse(amount).map_err(|_| MoneyReadError::BadAmount {
        amount: amount.to_string(),
        currency: currency.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_become_minor_units_by_the_currency_exponent() {
        assert_eq!(minor_units("19.99", "USD"), Ok(1999));
        assert_eq!(minor_units("1500", "JPY"), Ok(1500));
        assert!(minor_units("19.99", "XYZ").is_err());
        assert!(minor_units("abc", "USD").is_err());
    }
}
