//! Money in integer minor units with ISO 4217 exponents, and Encore's one rounding rule.
//!
//! Rounding rule: every division that does not come out even rounds **half away from zero**
//! (for the non-negative amounts Encore prices, half up): 0.125 USD → 0.13, 0.124 USD → 0.12.
//! It is used for percentage discounts, currency conversion for display and percentage caps
//! (the share cap rounds down instead, so a cap is never exceeded; see `share_floor`).

use std::fmt;

/// A currency: its ISO 4217 alphabetic code and the number of digits of its minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// ISO 4217 currencies whose minor unit is not 2 digits.
const EXPONENT_EXCEPTIONS: &[(&str, u8)] = &[
    ("BHD", 3),
    ("BIF", 0),
    ("CLF", 4),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("UYW", 4),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

/// ISO 4217 currencies with a 2-digit minor unit (active codes).
const TWO_DIGIT_CODES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB \
BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP \
GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD \
LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP \
PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP \
TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG";

impl Currency {
    /// Looks up an ISO 4217 alphabetic code (upper case, such as "USD").
    pub fn from_code(code: &str) -> Option<Currency> {
        let bytes: [u8; 3] = code.as_bytes().try_into().ok()?;
        if !bytes.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        if let Some((_, exponent)) = EXPONENT_EXCEPTIONS.iter().find(|(c, _)| *c == code) {
            return Some(Currency {
                code: bytes,
                exponent: *exponent,
            });
        }
        TWO_DIGIT_CODES
            .split(' ')
            .any(|c| c == code)
            .then_some(Currency {
                code: bytes,
                exponent: 2,
            })
    }

    /// The alphabetic code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Digits of the minor unit: 0 for JPY, 2 for USD, 3 for KWD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Parses a decimal string ("29.99", "5", "0.500") into minor units of this currency.
    ///
    /// Digits beyond the exponent must be zeros: "29.999" USD is refused rather than rounded,
    /// because a price Shopify gives never has them.
    pub fn parse(&self, text: &str) -> Result<i64, MoneyError> {
        parse_decimal(text, self.exponent as u32)
    }

    /// Formats minor units as a decimal string with exactly `exponent` decimals.
    pub fn format(&self, minor: i64) -> String {
        format_decimal(minor, self.exponent as u32)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a decimal amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    /// Not a decimal number at all.
    NotDecimal,
    /// More non-zero decimals than the currency's minor unit has.
    TooPrecise { exponent: u32 },
    /// Too large to price safely.
    TooLarge,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::NotDecimal => f.write_str("is not a decimal amount such as \"29.99\""),
            MoneyError::TooPrecise { exponent } => {
                write!(
                    f,
                    "has more than {exponent} decimal places for its currency"
                )
            }
            MoneyError::TooLarge => f.write_str("is too large"),
        }
    }
}

/// The largest amount Encore handles, in minor units (10^15: a trillion dollars in cents).
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// Parses a signed decimal string into an integer scaled by 10^`exponent`.
pub fn parse_decimal(text: &str, exponent: u32) -> Result<i64, MoneyError> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(MoneyError::NotDecimal);
    }
    let mut value: i64 = 0;
    for b in whole.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .filter(|v| *v <= MAX_MINOR)
            .ok_or(MoneyError::TooLarge)?;
    }
    for (i, b) in fraction.bytes().enumerate() {
        let digit = i64::from(b - b'0');
        if i < exponent as usize {
            value = value * 10 + digit;
        } else if digit != 0 {
            return Err(MoneyError::TooPrecise { exponent });
        }
        if value > MAX_MINOR {
            return Err(MoneyError::TooLarge);
        }
    }
    for _ in fraction.len()..exponent as usize {
        value = value
            .checked_mul(10)
            .filter(|v| *v <= MAX_MINOR)
            .ok_or(MoneyError::TooLarge)?;
    }
    Ok(if negative { -value } else { value })
}

/// Formats an integer scaled by 10^`exponent` as a decimal string.
pub fn format_decimal(value: i64, exponent: u32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    if exponent == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10u64.pow(exponent);
    format!(
        "{sign}{}.{:0width$}",
        magnitude / scale,
        magnitude % scale,
        width = exponent as usize
    )
}

/// `value × numerator / denominator`, rounded half away from zero (Encore's rounding rule).
/// Returns `None` when the denominator is zero or the result does not fit.
pub fn mul_div_round(value: i64, numerator: i64, denominator: i64) -> Option<i64> {
    if denominator == 0 {
        return None;
    }
    let product = i128::from(value) * i128::from(numerator);
    let den = i128::from(denominator);
    let quotient = product / den;
    let remainder = product % den;
    let rounded = if 2 * remainder.abs() >= den.abs() {
        if (product < 0) != (den < 0) {
            quotient - 1
        } else {
            quotient + 1
        }
    } else {
        quotient
    };
    i64::try_from(rounded).ok()
}

/// `value × numerator / denominator`, rounded down: used for caps, which must never be exceeded.
pub fn share_floor(value: i64, numerator: i64, denominator: i64) -> Option<i64> {
    if denominator <= 0 {
        return None;
    }
    let product = i128::from(value) * i128::from(numerator);
    i64::try_from(product.div_euclid(i128::from(denominator))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(Currency::from_code("USD").unwrap().exponent(), 2);
        assert_eq!(Currency::from_code("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::from_code("KRW").unwrap().exponent(), 0);
        assert_eq!(Currency::from_code("KWD").unwrap().exponent(), 3);
        assert_eq!(Currency::from_code("TND").unwrap().exponent(), 3);
        assert_eq!(Currency::from_code("EUR").unwrap().exponent(), 2);
        assert!(Currency::from_code("usd").is_none());
        assert!(Currency::from_code("ZZZ").is_none());
        assert!(Currency::from_code("US").is_none());
    }

    #[test]
    fn parses_and_formats_each_exponent() {
        let usd = Currency::from_code("USD").unwrap();
        let jpy = Currency::from_code("JPY").unwrap();
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(usd.parse("29.99"), Ok(2999));
        assert_eq!(usd.parse("5"), Ok(500));
        assert_eq!(usd.parse("0.5"), Ok(50));
        assert_eq!(usd.parse("10.500"), Ok(1050));
        assert_eq!(
            usd.parse("10.505"),
            Err(MoneyError::TooPrecise { exponent: 2 })
        );
        assert_eq!(jpy.parse("1200"), Ok(1200));
        assert_eq!(jpy.parse("1200.0"), Ok(1200));
        assert_eq!(kwd.parse("1.234"), Ok(1234));
        assert_eq!(usd.parse("-3.10"), Ok(-310));
        for bad in ["", ".", "abc", "1,00", "1.2.3", "--1", "1e5", "NaN"] {
            assert_eq!(usd.parse(bad), Err(MoneyError::NotDecimal), "{bad:?}");
        }
        assert_eq!(usd.parse("99999999999999999999"), Err(MoneyError::TooLarge));
        assert_eq!(usd.format(2999), "29.99");
        assert_eq!(usd.format(5), "0.05");
        assert_eq!(usd.format(-310), "-3.10");
        assert_eq!(jpy.format(1200), "1200");
        assert_eq!(kwd.format(1234), "1.234");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(mul_div_round(125, 1, 10), Some(13));
        assert_eq!(mul_div_round(124, 1, 10), Some(12));
        assert_eq!(mul_div_round(-125, 1, 10), Some(-13));
        assert_eq!(mul_div_round(1999, 8500, 10000), Some(1699)); // 16.9915 → 16.99
        assert_eq!(mul_div_round(1, 1, 0), None);
        assert_eq!(share_floor(1999, 2500, 10000), Some(499));
    }
}
