//! Quantiles and Tukey fences, as Cardinal computes them.

/// The `p`-quantile (0 <= p <= 1) of ascending `sorted` data, by Hyndman and Fan's
/// definition 8 (R's `type = 8`, "approximately median-unbiased"), which is what
/// Cardinal's statistics library uses. The fixtures pin this down: nine R024
/// differences `[0, 0, 100 x 7]` must give Q1 = 66.67 (a lower fence of 16.67), which
/// neither the linear (type 7) nor the `(n + 1)p` (type 6) definition yields.
///
/// `sorted` must be non-empty and free of NaN.
pub(crate) fn quantile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let h = (n as f64 + 1.0 / 3.0) * p + 1.0 / 3.0;
    let floor = h.floor();
    if floor < 1.0 {
        return sorted[0];
    }
    if floor >= n as f64 {
        return sorted[n - 1];
    }
    let i = floor as usize; // 1-based position of the lower neighbour
    let (lo, hi) = (sorted[i - 1], sorted[i]);
    // Plain multiply-add (not fused), as the statistics library does, so results match to the last bit.
    lo + (h - floor) * (hi - lo)
}

/// First and third quartiles, or `None` when both are zero: then the
/// interquartile range is zero too and every fence would flag at least three
/// quarters of the population, so Cardinal skips the indicator.
pub(crate) fn quartiles(values: &mut [f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let q1 = quantile(values, 0.25);
    let q3 = quantile(values, 0.75);
    if q1 == 0.0 && q3 == 0.0 { None } else { Some((q1, q3)) }
}

/// Q1 - 1.5 IQR.
pub(crate) fn lower_fence(q1: f64, q3: f64) -> f64 {
    (q3 - q1).mul_add(-1.5, q1)
}

/// Q3 + 1.5 IQR.
pub(crate) fn upper_fence(q1: f64, q3: f64) -> f64 {
    (q3 - q1).mul_add(1.5, q3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_8_quantiles() {
        let mut data = [100.0, 0.0, 100.0, 100.0, 0.0, 100.0, 100.0, 100.0, 100.0];
        let (q1, q3) = quartiles(&mut data).unwrap();
        assert!((q1 - 200.0 / 3.0).abs() < 1e-9, "{q1}");
        assert_eq!(q3, 100.0);
        assert!((lower_fence(q1, q3) - 50.0 / 3.0).abs() < 1e-9);

        assert_eq!(quantile(&[0.5], 0.25), 0.5);
        assert_eq!(quantile(&[1.0, 2.0], 0.0), 1.0);
        assert_eq!(quantile(&[1.0, 2.0], 1.0), 2.0);
        assert!((quantile(&[0.0, 0.0, 0.0, 0.0, 100.0], 0.75) - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(quartiles(&mut [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]), None);
        assert!(quartiles(&mut [0.0, 0.0, 0.0, 1.0]).is_some());
        assert_eq!(quartiles(&mut []), None);
    }
}
