//! Exact sums of decimal strings (accepted revenue) without floats.

/// A decimal as an integer mantissa and a count of fraction digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl Decimal {
    /// Parses `"12"`, `"12.50"`, `"-0.5"`. Returns `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (neg, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if !crate::changes::is_plain_decimal(body) {
            return None;
        }
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if frac.len() > 18 || int.len() > 18 {
            return None;
        }
        let digits: i128 = format!("{int}{frac}").parse().ok()?;
        Some(Self {
            mantissa: if neg { -digits } else { digits },
            scale: frac.len() as u32,
        })
    }

    fn rescale(self, scale: u32) -> i128 {
        self.mantissa * 10i128.pow(scale - self.scale)
    }

    pub fn plus(self, other: Self) -> Self {
        let scale = self.scale.max(other.scale);
        Self {
            mantissa: self.rescale(scale) + other.rescale(scale),
            scale,
        }
    }

    /// The decimal text with at least `min_scale` fraction digits.
    pub fn to_string_with_scale(self, min_scale: u32) -> String {
        let scale = self.scale.max(min_scale);
        let m = self.rescale(scale);
        let neg = m < 0;
        let digits = m.unsigned_abs().to_string();
        let scale = scale as usize;
        let padded = if digits.len() <= scale {
            format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        let sign = if neg { "-" } else { "" };
        if frac.is_empty() {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    #[test]
    fn sums_exactly() {
        let total = ["0.10", "0.2", "19.99", "5"]
            .iter()
            .map(|t| Decimal::parse(t).unwrap())
            .fold(Decimal::default(), Decimal::plus);
        assert_eq!(total.to_string_with_scale(2), "25.29");
        assert_eq!(Decimal::default().to_string_with_scale(2), "0.00");
        assert_eq!(
            Decimal::parse("0.005").unwrap().to_string_with_scale(2),
            "0.005"
        );
        assert_eq!(
            Decimal::parse("-1.5").unwrap().to_string_with_scale(0),
            "-1.5"
        );
        assert!(Decimal::parse("1e3").is_none());
    }
}
