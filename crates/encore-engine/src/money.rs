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

/// Active ISO 4217 currencies and the digits of their minor unit, sorted by code so a lookup is
/// a binary search (a linear scan of text cost the Function tens of thousands of instructions).
const CURRENCIES: &[([u8; 3], u8)] = &[
    (*b"AED", 2),
    (*b"AFN", 2),
    (*b"ALL", 2),
    (*b"AMD", 2),
    (*b"ANG", 2),
    (*b"AOA", 2),
    (*b"ARS", 2),
    (*b"AUD", 2),
    (*b"AWG", 2),
    (*b"AZN", 2),
    (*b"BAM", 2),
    (*b"BBD", 2),
    (*b"BDT", 2),
    (*b"BGN", 2),
    (*b"BHD", 3),
    (*b"BIF", 0),
    (*b"BMD", 2),
    (*b"BND", 2),
    (*b"BOB", 2),
    (*b"BRL", 2),
    (*b"BSD", 2),
    (*b"BTN", 2),
    (*b"BWP", 2),
    (*b"BYN", 2),
    (*b"BZD", 2),
    (*b"CAD", 2),
    (*b"CDF", 2),
    (*b"CHF", 2),
    (*b"CLF", 4),
    (*b"CLP", 0),
    (*b"CNY", 2),
    (*b"COP", 2),
    (*b"CRC", 2),
    (*b"CUP", 2),
    (*b"CVE", 2),
    (*b"CZK", 2),
    (*b"DJF", 0),
    (*b"DKK", 2),
    (*b"DOP", 2),
    (*b"DZD", 2),
    (*b"EGP", 2),
    (*b"ERN", 2),
    (*b"ETB", 2),
    (*b"EUR", 2),
    (*b"FJD", 2),
    (*b"FKP", 2),
    (*b"GBP", 2),
    (*b"GEL", 2),
    (*b"GHS", 2),
    (*b"GIP", 2),
    (*b"GMD", 2),
    (*b"GNF", 0),
    (*b"GTQ", 2),
    (*b"GYD", 2),
    (*b"HKD", 2),
    (*b"HNL", 2),
    (*b"HTG", 2),
    (*b"HUF", 2),
    (*b"IDR", 2),
    (*b"ILS", 2),
    (*b"INR", 2),
    (*b"IQD", 3),
    (*b"IRR", 2),
    (*b"ISK", 0),
    (*b"JMD", 2),
    (*b"JOD", 3),
    (*b"JPY", 0),
    (*b"KES", 2),
    (*b"KGS", 2),
    (*b"KHR", 2),
    (*b"KMF", 0),
    (*b"KPW", 2),
    (*b"KRW", 0),
    (*b"KWD", 3),
    (*b"KYD", 2),
    (*b"KZT", 2),
    (*b"LAK", 2),
    (*b"LBP", 2),
    (*b"LKR", 2),
    (*b"LRD", 2),
    (*b"LSL", 2),
    (*b"LYD", 3),
    (*b"MAD", 2),
    (*b"MDL", 2),
    (*b"MGA", 2),
    (*b"MKD", 2),
    (*b"MMK", 2),
    (*b"MNT", 2),
    (*b"MOP", 2),
    (*b"MRU", 2),
    (*b"MUR", 2),
    (*b"MVR", 2),
    (*b"MWK", 2),
    (*b"MXN", 2),
    (*b"MYR", 2),
    (*b"MZN", 2),
    (*b"NAD", 2),
    (*b"NGN", 2),
    (*b"NIO", 2),
    (*b"NOK", 2),
    (*b"NPR", 2),
    (*b"NZD", 2),
    (*b"OMR", 3),
    (*b"PAB", 2),
    (*b"PEN", 2),
    (*b"PGK", 2),
    (*b"PHP", 2),
    (*b"PKR", 2),
    (*b"PLN", 2),
    (*b"PYG", 0),
    (*b"QAR", 2),
    (*b"RON", 2),
    (*b"RSD", 2),
    (*b"RUB", 2),
    (*b"RWF", 0),
    (*b"SAR", 2),
    (*b"SBD", 2),
    (*b"SCR", 2),
    (*b"SDG", 2),
    (*b"SEK", 2),
    (*b"SGD", 2),
    (*b"SHP", 2),
    (*b"SLE", 2),
    (*b"SOS", 2),
    (*b"SRD", 2),
    (*b"SSP", 2),
    (*b"STN", 2),
    (*b"SVC", 2),
    (*b"SYP", 2),
    (*b"SZL", 2),
    (*b"THB", 2),
    (*b"TJS", 2),
    (*b"TMT", 2),
    (*b"TND", 3),
    (*b"TOP", 2),
    (*b"TRY", 2),
    (*b"TTD", 2),
    (*b"TWD", 2),
    (*b"TZS", 2),
    (*b"UAH", 2),
    (*b"UGX", 0),
    (*b"USD", 2),
    (*b"UYI", 0),
    (*b"UYU", 2),
    (*b"UYW", 4),
    (*b"UZS", 2),
    (*b"VES", 2),
    (*b"VND", 0),
    (*b"VUV", 0),
    (*b"WST", 2),
    (*b"XAF", 0),
    (*b"XCD", 2),
    (*b"XCG", 2),
    (*b"XOF", 0),
    (*b"XPF", 0),
    (*b"YER", 2),
    (*b"ZAR", 2),
    (*b"ZMW", 2),
    (*b"ZWG", 2),
];

impl Currency {
    /// Looks up an ISO 4217 alphabetic code (upper case, such as "USD").
    pub fn from_code(code: &str) -> Option<Currency> {
        let bytes: [u8; 3] = code.as_bytes().try_into().ok()?;
        // Codes compared as integers (the same order as their bytes): an array comparison is a
        // call to `memcmp` per probe in wasm.
        let key = |c: &[u8; 3]| u32::from_be_bytes([c[0], c[1], c[2], 0]);
        let wanted = key(&bytes);
        let index = CURRENCIES
            .binary_search_by(|(c, _)| key(c).cmp(&wanted))
            .ok()?;
        Some(Currency {
            code: bytes,
            exponent: CURRENCIES[index].1,
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
    // ASCII whitespace is trimmed without decoding characters (the offer Function parses a
    // total per purchased line); the rest of what `str::trim` trims (the vertical tab, and
    // whitespace that starts and ends with a non-ASCII byte) as it trims it.
    let mut text = text.trim_ascii();
    let trims = |b: u8| !b.is_ascii() || b == 0x0B;
    if text.bytes().next().is_some_and(trims) || text.bytes().next_back().is_some_and(trims) {
        text = text.trim();
    }
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };
    // One pass. Any character that is not a digit (or the first point) makes the text not a
    // decimal, whatever came before it; otherwise the first amount fault, in reading order.
    let exponent_digits = exponent as usize;
    let mut value: i64 = 0;
    let mut point = false;
    let mut fraction_digits = 0usize;
    let mut any_digit = false;
    let mut fault = None;
    for &b in digits {
        if b == b'.' && !point {
            point = true;
            continue;
        }
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return Err(MoneyError::NotDecimal);
        }
        any_digit = true;
        if fault.is_some() {
            continue;
        }
        if point {
            fraction_digits += 1;
            if fraction_digits > exponent_digits {
                if digit != 0 {
                    fault = Some(MoneyError::TooPrecise { exponent });
                }
                continue;
            }
        }
        // `value` is at most MAX_MINOR here, so `value * 10 + 9` cannot overflow.
        value = value * 10 + i64::from(digit);
        if value > MAX_MINOR {
            fault = Some(MoneyError::TooLarge);
        }
    }
    if !any_digit {
        return Err(MoneyError::NotDecimal);
    }
    if let Some(fault) = fault {
        return Err(fault);
    }
    for _ in fraction_digits..exponent_digits {
        value *= 10;
        if value > MAX_MINOR {
            return Err(MoneyError::TooLarge);
        }
    }
    Ok(if negative { -value } else { value })
}

/// Formats an integer scaled by 10^`exponent` as a decimal string.
pub fn format_decimal(value: i64, exponent: u32) -> String {
    // A single digit (a count in a reason, a sequence number) is its character.
    if exponent == 0 && (0..10).contains(&value) {
        return char::from(b'0' + value as u8).to_string();
    }
    // Digits written by hand, not with `format!`: the offer Function formats every price it
    // shows, and `core::fmt` costs several times the digits. The text's length is known up
    // front, so it is made once, filled with zeros (the leading zeros a small amount needs),
    // and each digit is stored at its place from the end: no pushes, no reversing.
    let mut magnitude = value.unsigned_abs();
    let exponent = exponent as usize;
    let digits = (magnitude.checked_ilog10().unwrap_or(0) as usize + 1).max(exponent + 1);
    let sign = usize::from(value < 0);
    let point = usize::from(exponent > 0);
    let mut text = vec![b'0'; sign + digits + point];
    let len = text.len();
    // The point sits `exponent` digits from the end (never at 0: there is a digit before it).
    let point_at = if exponent > 0 { len - 1 - exponent } else { 0 };
    if exponent > 0 {
        text[point_at] = b'.';
    }
    let mut at = len;
    while magnitude > 0 {
        at -= 1;
        if at == point_at && exponent > 0 {
            at -= 1;
        }
        text[at] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
    }
    if sign == 1 {
        text[0] = b'-';
    }
    String::from_utf8(text).unwrap_or_default()
}

/// An amount whose decimal text is written once, when first asked for: every campaign that a
/// purchase misses by its value quotes the same merchandise subtotal.
#[derive(Debug)]
pub struct QuotedAmount {
    pub minor: i64,
    currency: Currency,
    text: std::cell::OnceCell<String>,
}

impl QuotedAmount {
    pub fn new(minor: i64, currency: Currency) -> QuotedAmount {
        QuotedAmount {
            minor,
            currency,
            text: std::cell::OnceCell::new(),
        }
    }

    /// The amount as decimal text in its currency ([`Currency::format`]).
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| self.currency.format(self.minor))
    }
}

/// An integer as decimal text, without `core::fmt` (see [`format_decimal`]).
pub fn int_text(value: i64) -> String {
    format_decimal(value, 0)
}

/// `value × numerator / denominator`, rounded half away from zero (Encore's rounding rule).
/// Returns `None` when the denominator is zero or the result does not fit.
pub fn mul_div_round(value: i64, numerator: i64, denominator: i64) -> Option<i64> {
    if denominator == 0 {
        return None;
    }
    // Prices times percentages fit 64 bits: there, no 128-bit multiply and divide (a call into
    // compiler_builtins each, hundreds of instructions in wasm). The same rule, exactly.
    if let Some(product) = value.checked_mul(numerator) {
        // `i64::MIN / -1` is the one quotient that overflows: left to the 128-bit path.
        if !(product == i64::MIN && denominator == -1) {
            let quotient = product / denominator;
            let remainder = (product % denominator).unsigned_abs();
            let den = denominator.unsigned_abs();
            return Some(if remainder >= den - remainder {
                if (product < 0) != (denominator < 0) {
                    quotient - 1
                } else {
                    quotient + 1
                }
            } else {
                quotient
            });
        }
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
    if let Some(product) = value.checked_mul(numerator) {
        return Some(product.div_euclid(denominator));
    }
    let product = i128::from(value) * i128::from(numerator);
    i64::try_from(product.div_euclid(i128::from(denominator))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_currency_table_is_sorted_and_unique() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
    }

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
        assert_eq!(usd.parse("10000000000000.01"), Err(MoneyError::TooLarge));
        assert_eq!(usd.parse("10000000000000.00"), Ok(MAX_MINOR));
        // Surrounding whitespace, ASCII or not, is trimmed; inside an amount it is not.
        assert_eq!(usd.parse(" \t12.5\n"), Ok(1250));
        assert_eq!(usd.parse("\u{a0}12.50\u{2003}"), Ok(1250));
        assert_eq!(usd.parse("+7"), Ok(700));
        assert_eq!(usd.parse("\x0b5 \x0b"), Ok(500));
        for bad in [
            "1 2",
            "-+1",
            "+-1",
            "12.\u{a0}5",
            "\u{a0}",
            "-",
            "-.",
            "99999999999999999999x",
        ] {
            assert_eq!(usd.parse(bad), Err(MoneyError::NotDecimal), "{bad:?}");
        }
        // The first fault in reading order: too large before too precise, and back.
        assert_eq!(
            usd.parse("99999999999999999.123"),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(
            usd.parse("1.123"),
            Err(MoneyError::TooPrecise { exponent: 2 })
        );
        assert_eq!(usd.parse("5."), Ok(500));
        assert_eq!(usd.parse(".5"), Ok(50));
        assert_eq!(usd.format(2999), "29.99");
        assert_eq!(usd.format(0), "0.00");
        assert_eq!(int_text(0), "0");
        assert_eq!(int_text(i64::MIN), i64::MIN.to_string());
        assert_eq!(format_decimal(i64::MAX, 4), "922337203685477.5807");
        assert_eq!(format_decimal(-7, 30), format!("-0.{}7", "0".repeat(29)));
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
        assert_eq!(mul_div_round(i64::MIN, 1, -1), None);
        assert_eq!(mul_div_round(i64::MIN, -1, 1), None);
    }

    /// The rounding rule computed in 128 bits throughout: what the 64-bit fast paths must equal.
    fn wide_round(value: i64, numerator: i64, denominator: i64) -> Option<i64> {
        if denominator == 0 {
            return None;
        }
        let product = i128::from(value) * i128::from(numerator);
        let den = i128::from(denominator);
        let (q, r) = (product / den, product % den);
        let away = if (product < 0) != (den < 0) {
            q - 1
        } else {
            q + 1
        };
        i64::try_from(if 2 * r.abs() >= den.abs() { away } else { q }).ok()
    }

    proptest::proptest! {
        #[test]
        fn decimals_are_written_as_core_fmt_writes_them(
            value in proptest::prop_oneof![-100_000i64..100_000, proptest::num::i64::ANY],
            exponent in 0u32..8,
        ) {
            let scale = 10u128.pow(exponent);
            let magnitude = u128::from(value.unsigned_abs());
            let sign = if value < 0 { "-" } else { "" };
            let want = if exponent == 0 {
                format!("{sign}{magnitude}")
            } else {
                let width = exponent as usize;
                format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale)
            };
            proptest::prop_assert_eq!(format_decimal(value, exponent), want);
        }

        #[test]
        fn the_64_bit_paths_round_as_the_128_bit_rule(
            value in proptest::prop_oneof![-1_000_000_000i64..1_000_000_000, proptest::num::i64::ANY],
            numerator in proptest::prop_oneof![-20_000i64..20_000, proptest::num::i64::ANY],
            denominator in proptest::prop_oneof![-20_000i64..20_000, proptest::num::i64::ANY],
        ) {
            proptest::prop_assert_eq!(mul_div_round(value, numerator, denominator), wide_round(value, numerator, denominator));
            let floor = (denominator > 0).then(|| {
                i64::try_from((i128::from(value) * i128::from(numerator)).div_euclid(i128::from(denominator))).ok()
            }).flatten();
            proptest::prop_assert_eq!(share_floor(value, numerator, denominator), floor);
        }
    }
}
