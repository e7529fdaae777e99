//! Shopify's Function resource limits and their `@scaleLimits` scaling.

/// Resource limits for one Function run. Sizes are bytes (1 kB = 1000 B); input and output
/// are measured as MessagePack, like Shopify does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Wasm instructions executed by the export call (function-runner's fuel accounting).
    pub instructions: u64,
    /// MessagePack-encoded input size.
    pub input_bytes: usize,
    /// MessagePack-encoded output size.
    pub output_bytes: usize,
    /// Size of any one linear memory.
    pub memory_bytes: usize,
    /// Log bytes kept; longer logs are truncated.
    pub log_bytes: usize,
}

impl Limits {
    /// Shopify's limits for inputs up to 200 cart lines (factor 1).
    pub fn shopify() -> Self {
        Self {
            instructions: 11_000_000,
            input_bytes: 128_000,
            output_bytes: 20_000,
            memory_bytes: 10_000_000,
            log_bytes: 1_000,
        }
    }

    /// Scales the instruction, input and output limits by `factor` (see
    /// [`crate::scale_factor`]); memory and logs do not scale. Non-finite or sub-1 factors
    /// count as 1.
    pub fn scaled(&self, factor: f64) -> Self {
        let factor = if factor.is_finite() && factor > 1.0 {
            factor
        } else {
            1.0
        };
        Self {
            instructions: (self.instructions as f64 * factor) as u64,
            input_bytes: (self.input_bytes as f64 * factor) as usize,
            output_bytes: (self.output_bytes as f64 * factor) as usize,
            ..*self
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::shopify()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_touches_only_instructions_input_and_output() {
        let scaled = Limits::shopify().scaled(2.5);
        assert_eq!(scaled.instructions, 27_500_000);
        assert_eq!(scaled.input_bytes, 320_000);
        assert_eq!(scaled.output_bytes, 50_000);
        assert_eq!(scaled.memory_bytes, 10_000_000);
        assert_eq!(scaled.log_bytes, 1_000);
        assert_eq!(Limits::shopify().scaled(f64::NAN), Limits::shopify());
        assert_eq!(Limits::shopify().scaled(0.5), Limits::shopify());
    }
}
