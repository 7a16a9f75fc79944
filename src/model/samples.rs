//! Durations of one interface or peer route, kept in bounded memory.
//!
//! The first [`EXACT_SAMPLES`] durations are kept as they are, so a small run's percentiles are
//! exact (nearest rank). Past that, every duration goes into an HDR histogram (the
//! `hdrhistogram` crate) of microseconds with three significant digits: a percentile is then
//! within 0.1% of the exact one (and within 1 µs of rounding), whatever the number of
//! exchanges, in a few kilobytes. The maximum is always exact.

use hdrhistogram::Histogram;

/// Durations kept exactly before they go into the histogram.
pub const EXACT_SAMPLES: usize = 1024;

/// Significant digits of the histogram: values within 10^-3 relative.
const SIGNIFICANT_DIGITS: u8 = 3;

/// Durations in milliseconds: exact while few, an HDR histogram past [`EXACT_SAMPLES`].
#[derive(Debug, Clone, Default)]
pub struct Samples {
    exact: Vec<f64>,
    histogram: Option<Histogram<u64>>,
    count: usize,
    max_ms: f64,
}

impl Samples {
    /// Adds one duration, in milliseconds.
    pub fn record(&mut self, ms: f64) {
        let ms = if ms.is_finite() { ms.max(0.0) } else { 0.0 };
        self.count += 1;
        self.max_ms = self.max_ms.max(ms);
        if let Some(histogram) = &mut self.histogram {
            add(histogram, ms);
            return;
        }
        self.exact.push(ms);
        if self.exact.len() > EXACT_SAMPLES
            && let Ok(mut histogram) = Histogram::new(SIGNIFICANT_DIGITS)
        {
            for ms in self.exact.drain(..) {
                add(&mut histogram, ms);
            }
            self.exact.shrink_to_fit();
            self.histogram = Some(histogram);
        }
    }

    /// How many durations were recorded.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The longest, exactly.
    pub fn max_ms(&self) -> f64 {
        self.max_ms
    }

    /// The `p` quantile (0 < p ≤ 1) by nearest rank: exact while the durations are kept,
    /// within the histogram's precision past that; 0 when there are none.
    pub fn percentile(&mut self, p: f64) -> f64 {
        match &self.histogram {
            Some(histogram) => {
                // The histogram answers with its bucket's highest value; never more than the
                // longest duration seen.
                let us = histogram.value_at_quantile(p);
                (histogram.median_equivalent(us) as f64 / 1000.0).min(self.max_ms)
            }
            None => {
                if self.exact.is_empty() {
                    return 0.0;
                }
                self.exact.sort_by(f64::total_cmp);
                let n = self.exact.len();
                let i = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
                self.exact[i]
            }
        }
    }
}

impl FromIterator<f64> for Samples {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut samples = Samples::default();
        for ms in iter {
            samples.record(ms);
        }
        samples
    }
}

/// Records a duration; the histogram grows to hold it (up to `u64::MAX` µs).
fn add(histogram: &mut Histogram<u64>, ms: f64) {
    let us = micros(ms);
    if histogram.record(us).is_err() {
        histogram.saturating_record(us);
    }
}

/// Milliseconds as whole microseconds, at least 1 (the histogram's lowest value).
fn micros(ms: f64) -> u64 {
    ((ms * 1000.0).round() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_durations_give_exact_nearest_rank_percentiles() {
        let mut s: Samples = (1..=100).map(f64::from).collect();
        assert_eq!(
            (s.percentile(0.5), s.percentile(0.95), s.max_ms(), s.count()),
            (50.0, 95.0, 100.0, 100)
        );
        assert_eq!(Samples::default().percentile(0.95), 0.0);
    }

    #[test]
    fn many_durations_stay_within_a_tenth_of_a_percent_of_the_exact_percentile() {
        // 100,000 durations from 0.1 ms to 10 s, spread unevenly.
        let values: Vec<f64> = (1..=100_000u64)
            .map(|i| (i * i % 100_000) as f64 / 10.0 + 0.1)
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let mut s: Samples = values.into_iter().collect();
        assert!(s.histogram.is_some() && s.exact.is_empty());
        for p in [0.5, 0.9, 0.95, 0.99] {
            let exact = sorted[(p * sorted.len() as f64).ceil() as usize - 1];
            let got = s.percentile(p);
            assert!(
                (got - exact).abs() <= exact * 0.001 + 0.001,
                "p{p}: {got} vs exact {exact}"
            );
        }
        assert_eq!(s.max_ms(), sorted[sorted.len() - 1]);
        assert_eq!(s.count(), 100_000);
    }
}
