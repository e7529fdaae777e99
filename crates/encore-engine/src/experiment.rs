//! Experiment arm assignment: a deterministic hash of experiment id and buyer, so the same
//! buyer sees the same arm across steps and runs, in proportion to the arms' weights.

use crate::config::{Arm, Experiment};

/// FNV-1a, 64 bits: tiny, stable across platforms and versions.
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash ^= u64::from(b':');
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        for byte in part.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The arm of `experiment` for `subject` (the customer id, or the purchase's referenceId when
/// there is no customer): bucket = hash("experiment:subject") mod total weight, arms taking
/// consecutive bucket ranges in their order. `None` when the weights add up to 0.
pub fn assign<'a>(experiment: &'a Experiment, subject: &str) -> Option<&'a Arm> {
    let total: u64 = experiment.arms.iter().map(|a| a.weight.max(0) as u64).sum();
    if total == 0 {
        return None;
    }
    let mut bucket = fnv1a(&[&experiment.id, subject]) % total;
    for arm in &experiment.arms {
        let weight = arm.weight.max(0) as u64;
        if bucket < weight {
            return Some(arm);
        }
        bucket -= weight;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn experiment(weights: &[i64]) -> Experiment {
        Experiment {
            id: "exp".into(),
            arms: weights
                .iter()
                .enumerate()
                .map(|(i, w)| Arm {
                    id: format!("arm{i}"),
                    weight: *w,
                    discount: None,
                    products: None,
                    copy: None,
                })
                .collect(),
        }
    }

    #[test]
    fn assignment_is_stable_and_proportional() {
        let e = experiment(&[1, 3]);
        let first = assign(&e, "customer-1").unwrap().id.clone();
        assert_eq!(assign(&e, "customer-1").unwrap().id, first);
        let n = 20_000;
        let heavy = (0..n)
            .filter(|i| assign(&e, &format!("c{i}")).unwrap().id == "arm1")
            .count();
        // 75% expected; allow ±2 points.
        assert!((14_600..=15_400).contains(&heavy), "{heavy}");
        assert!(assign(&experiment(&[0, 0]), "x").is_none());
        let never = experiment(&[0, 5]);
        assert!((0..500).all(|i| assign(&never, &format!("c{i}")).unwrap().id == "arm1"));
    }
}
