//! A mergeable latency histogram with logarithmic buckets and a stated relative error.
//!
//! Bucket `k` holds the values in `(γ^(k-1), γ^k]` with `γ = (1 + α) / (1 - α)`; its
//! representative value `2γ^k / (γ + 1)` is within `α` (relative) of every value in the
//! bucket. A nearest-rank percentile read from the histogram therefore lies within `α` of
//! the same percentile computed from the raw values: the raw value at that rank falls in the
//! bucket the histogram answers with. Histograms merge by adding counts, so percentiles over
//! any window can be read from per-minute and per-hour rollups.

use std::time::Duration;

use crate::error::CoreError;
use crate::phases::{PHASE_NAMES, Phases};

/// The bound on the relative error of a percentile read from a [`LatencyHistogram`] (4 %):
/// a p95 of 200 ms reads as 192–208 ms. Finer buckets would make every stored histogram,
/// and so every summary read, proportionally larger.
pub const HISTOGRAM_RELATIVE_ERROR: f64 = 0.04;

/// The buckets are cut slightly finer than the stated bound, leaving room for rounding the
/// representative value to whole nanoseconds.
const BUCKET_RELATIVE_ERROR: f64 = 0.039;
const GAMMA: f64 = (1.0 + BUCKET_RELATIVE_ERROR) / (1.0 - BUCKET_RELATIVE_ERROR);

/// Format tag of [`PhaseHistograms::encode`]; bumped if the bucket layout ever changes.
const ENCODING_V1: u8 = 1;

fn bucket_index(value_us: u64) -> u32 {
    // value_us >= 1 here; ln(1) = 0 gives bucket 0, which holds exactly the value 1.
    let index = ((value_us as f64).ln() / GAMMA.ln()).ceil();
    index.max(0.0) as u32
}

/// The value that stands for bucket `index`, in nanoseconds (whole microseconds would add
/// up to 0.5 µs of error, more than 4 % below 12.5 µs).
fn representative(index: u32) -> Duration {
    let upper_us = GAMMA.powi(i32::try_from(index).unwrap_or(i32::MAX));
    Duration::from_nanos((2_000.0 * upper_us / (GAMMA + 1.0)).round() as u64)
}

/// Counts of microsecond values in logarithmic buckets; see the module docs for the error bound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// Values of exactly 0 µs (a phase that took no measurable time).
    zero_count: u64,
    /// Bucket index of `counts[0]`.
    offset: u32,
    counts: Vec<u64>,
}

impl LatencyHistogram {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes this histogram holds on the heap (its bucket counts), for callers that bound
    /// the memory of what they keep.
    pub fn heap_bytes(&self) -> usize {
        self.counts.capacity() * std::mem::size_of::<u64>()
    }

    /// Releases spare capacity (merging grows the counts by doubling): for histograms kept
    /// long, such as cached ones.
    pub fn shrink_to_fit(&mut self) {
        self.counts.shrink_to_fit();
    }

    /// Number of recorded values.
    pub fn count(&self) -> u64 {
        self.zero_count + self.counts.iter().sum::<u64>()
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    pub fn record(&mut self, value_us: u64) {
        self.record_n(value_us, 1);
    }

    pub fn record_n(&mut self, value_us: u64, n: u64) {
        if value_us == 0 {
            self.zero_count += n;
        } else {
            self.add_to_bucket(bucket_index(value_us), n);
        }
    }

    fn add_to_bucket(&mut self, index: u32, n: u64) {
        if n == 0 {
            return;
        }
        if self.counts.is_empty() {
            self.offset = index;
            self.counts.push(n);
            return;
        }
        if index < self.offset {
            let grow = (self.offset - index) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = index;
        }
        let slot = (index - self.offset) as usize;
        if slot >= self.counts.len() {
            self.counts.resize(slot + 1, 0);
        }
        self.counts[slot] += n;
    }

    /// Adds every count of `other` to this histogram.
    pub fn merge(&mut self, other: &Self) {
        self.zero_count += other.zero_count;
        for (i, &n) in other.counts.iter().enumerate() {
            self.add_to_bucket(other.offset + i as u32, n);
        }
    }

    /// Nearest-rank percentile (`q` in 0..=100), within [`HISTOGRAM_RELATIVE_ERROR`] of the
    /// exact value; `None` when empty.
    pub fn percentile(&self, q: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 100.0) / 100.0) * total as f64).ceil() as u64;
        let rank = rank.clamp(1, total);
        if rank <= self.zero_count {
            return Some(Duration::ZERO);
        }
        let mut seen = self.zero_count;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(representative(self.offset + i as u32));
            }
        }
        None
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        // Trim zero buckets at both ends so equal histograms encode identically.
        let first = self.counts.iter().position(|&n| n != 0);
        let last = self.counts.iter().rposition(|&n| n != 0);
        put_varint(out, self.zero_count);
        match (first, last) {
            (Some(first), Some(last)) => {
                put_varint(out, u64::from(self.offset) + first as u64);
                put_varint(out, (last - first + 1) as u64);
                for &n in &self.counts[first..=last] {
                    put_varint(out, n);
                }
            }
            _ => {
                put_varint(out, 0);
                put_varint(out, 0);
            }
        }
    }

    fn merge_encoded(&mut self, input: &mut &[u8]) -> Result<(), CoreError> {
        self.zero_count += get_varint(input)?;
        let offset = u32::try_from(get_varint(input)?).map_err(|_| malformed("offset"))?;
        let len = usize::try_from(get_varint(input)?).map_err(|_| malformed("length"))?;
        if len > input.len() {
            return Err(malformed("length"));
        }
        if len == 0 {
            return Ok(());
        }
        let end = offset
            .checked_add(u32::try_from(len).map_err(|_| malformed("length"))?)
            .ok_or_else(|| malformed("offset"))?;
        if end > bucket_index(u64::MAX) + 1 {
            return Err(malformed("offset"));
        }
        // Grow once to cover the incoming range, then add in place.
        if self.counts.is_empty() {
            self.offset = offset;
        } else if offset < self.offset {
            let grow = (self.offset - offset) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = offset;
        }
        let needed = (end - self.offset) as usize;
        if self.counts.len() < needed {
            self.counts.resize(needed, 0);
        }
        let base = (offset - self.offset) as usize;
        let mut bytes = *input;
        for slot in &mut self.counts[base..base + len] {
            // Most counts fit one byte: skip the general varint path for them.
            match bytes.first() {
                Some(&byte) if byte < 0x80 => {
                    *slot += u64::from(byte);
                    bytes = &bytes[1..];
                }
                _ => *slot += get_varint(&mut bytes)?,
            }
        }
        *input = bytes;
        Ok(())
    }
}

fn malformed(what: &str) -> CoreError {
    CoreError::malformed("histogram", format!("bad {what}"))
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn get_varint(input: &mut &[u8]) -> Result<u64, CoreError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = input
            .split_first()
            .ok_or_else(|| malformed("varint (truncated)"))?;
        *input = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
    }
    Err(malformed("varint (too long)"))
}

/// One [`LatencyHistogram`] per phase, in [`PHASE_NAMES`] order (dns … total).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhaseHistograms([LatencyHistogram; 6]);

impl PhaseHistograms {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records every phase the check reached.
    pub fn record(&mut self, phases: &Phases) {
        for (histogram, (_, value)) in self.0.iter_mut().zip(phases.named()) {
            if let Some(duration) = value {
                histogram.record(u64::try_from(duration.as_micros()).unwrap_or(u64::MAX));
            }
        }
    }

    /// Bytes the six histograms hold on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.0.iter().map(LatencyHistogram::heap_bytes).sum()
    }

    /// Releases the six histograms' spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.0.iter_mut().for_each(LatencyHistogram::shrink_to_fit);
    }

    /// The histogram of phase `name` (one of [`PHASE_NAMES`]).
    pub fn phase(&self, name: &str) -> Option<&LatencyHistogram> {
        PHASE_NAMES
            .iter()
            .position(|p| *p == name)
            .map(|i| &self.0[i])
    }

    /// The histograms paired with their phase names, in contract order.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, &LatencyHistogram)> {
        PHASE_NAMES.iter().copied().zip(self.0.iter())
    }

    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            mine.merge(theirs);
        }
    }

    /// A compact binary form (varints, a few bytes per occupied bucket) for storage.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        out.push(ENCODING_V1);
        for histogram in &self.0 {
            histogram.encode_into(&mut out);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, CoreError> {
        let mut histograms = Self::default();
        histograms.merge_encoded(bytes)?;
        Ok(histograms)
    }

    /// Adds one encoded set — or several, concatenated — without materializing them first:
    /// the hot path of summaries, which merge thousands of stored rollups (a database can
    /// concatenate them in its aggregation, since each encoding knows its own length).
    pub fn merge_encoded(&mut self, bytes: &[u8]) -> Result<(), CoreError> {
        if bytes.is_empty() {
            return Err(malformed("encoding (empty)"));
        }
        let mut input = bytes;
        while !input.is_empty() {
            self.merge_one_encoded(&mut input)?;
        }
        Ok(())
    }

    /// Adds the one encoded set at the front of `input` and advances `input` past it, for
    /// reading encodings packed between other data.
    pub fn merge_one_encoded(&mut self, input: &mut &[u8]) -> Result<(), CoreError> {
        let Some((&version, rest)) = input.split_first() else {
            return Err(malformed("encoding (empty)"));
        };
        if version != ENCODING_V1 {
            return Err(malformed("encoding version"));
        }
        *input = rest;
        for histogram in &mut self.0 {
            histogram.merge_encoded(input)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::percentile;

    /// A deterministic spread of latencies over five orders of magnitude.
    fn latencies(n: u64) -> Vec<u64> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let exponent = (state % 10_000) as f64 / 2_000.0; // 0..5
                10f64.powf(exponent).round() as u64 + 1
            })
            .collect()
    }

    #[test]
    fn percentiles_stay_within_the_stated_error_of_exact_ones() {
        let values = latencies(20_000);
        let mut histogram = LatencyHistogram::new();
        for &v in &values {
            histogram.record(v);
        }
        let mut sorted = values.clone();
        sorted.sort_unstable();
        for q in [0.0, 1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0] {
            let exact = percentile(&sorted, q).unwrap() as f64;
            let approx = histogram.percentile(q).unwrap().as_nanos() as f64 / 1_000.0;
            let error = (approx - exact).abs() / exact;
            assert!(
                error <= HISTOGRAM_RELATIVE_ERROR,
                "p{q}: {approx} vs {exact}"
            );
        }
    }

    #[test]
    fn every_value_is_within_the_stated_error_of_its_bucket() {
        for v in (1..=2_000u64).chain([65_535, 1_000_000, 86_400_000_000]) {
            let mut h = LatencyHistogram::new();
            h.record(v);
            let got = h.percentile(50.0).unwrap().as_nanos() as f64 / 1_000.0;
            let error = (got - v as f64).abs() / v as f64;
            assert!(error <= HISTOGRAM_RELATIVE_ERROR, "{v} µs read as {got}");
        }
        let mut h = LatencyHistogram::new();
        h.record(0);
        assert_eq!(h.percentile(99.0), Some(Duration::ZERO));
    }

    #[test]
    fn heap_bytes_grow_with_the_span_of_buckets_not_the_count() {
        let mut h = LatencyHistogram::new();
        assert_eq!(h.heap_bytes(), 0);
        h.record(1_000);
        let one_bucket = h.heap_bytes();
        for _ in 0..1_000 {
            h.record(1_000);
        }
        assert_eq!(h.heap_bytes(), one_bucket);
        h.record(1_000_000);
        // 1 ms to 1 s spans about 88 buckets (γ ≈ 1.081), 8 bytes each.
        assert!(h.heap_bytes() >= 85 * 8, "{}", h.heap_bytes());
        let mut merged = LatencyHistogram::new();
        for v in [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000] {
            let mut one = LatencyHistogram::new();
            one.record(v);
            merged.merge(&one);
        }
        let spanned = merged.heap_bytes();
        merged.shrink_to_fit();
        assert!(merged.heap_bytes() <= spanned);
        assert_eq!(merged.percentile(100.0), {
            let mut top = LatencyHistogram::new();
            top.record(1_000_000);
            top.percentile(100.0)
        });
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let values = latencies(5_000);
        let (left, right) = values.split_at(1_234);
        let mut all = LatencyHistogram::new();
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        values.iter().for_each(|&v| all.record(v));
        left.iter().for_each(|&v| a.record(v));
        right.iter().for_each(|&v| b.record(v));
        b.merge(&a);
        assert_eq!(b.count(), all.count());
        for q in [50.0, 95.0, 99.0] {
            assert_eq!(b.percentile(q), all.percentile(q));
        }
    }

    #[test]
    fn phase_histograms_round_trip_and_merge_encoded() {
        let ms = Duration::from_millis;
        let mut first = PhaseHistograms::new();
        first.record(&Phases {
            dns: Some(Duration::ZERO),
            connect: Some(ms(3)),
            total: Some(ms(120)),
            ..Default::default()
        });
        let mut second = PhaseHistograms::new();
        second.record(&Phases {
            connect: Some(ms(2)),
            tls: Some(ms(40)),
            total: Some(ms(90_000)),
            ..Default::default()
        });
        let decoded = PhaseHistograms::decode(&first.encode()).unwrap();
        assert_eq!(decoded, first);

        let mut merged = first.clone();
        merged.merge_encoded(&second.encode()).unwrap();
        let mut expected = first.clone();
        expected.merge(&second);
        assert_eq!(merged.encode(), expected.encode());
        // Concatenated encodings merge like one after the other.
        let mut concatenated = first.encode();
        concatenated.extend(second.encode());
        assert_eq!(PhaseHistograms::decode(&concatenated).unwrap(), expected);
        assert_eq!(merged.phase("connect").unwrap().count(), 2);
        assert_eq!(merged.phase("tls").unwrap().count(), 1);
        assert_eq!(merged.phase("download").unwrap().count(), 0);
        // A one-check histogram encodes in a few bytes per phase.
        assert!(second.encode().len() < 32, "{}", second.encode().len());
    }

    #[test]
    fn corrupt_encodings_are_errors_not_panics() {
        let good = {
            let mut h = PhaseHistograms::new();
            h.record(&Phases {
                total: Some(Duration::from_millis(5)),
                ..Default::default()
            });
            h.encode()
        };
        for cut in 0..good.len() {
            assert!(PhaseHistograms::decode(&good[..cut]).is_err());
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(PhaseHistograms::decode(&trailing).is_err());
        assert!(PhaseHistograms::decode(&[9, 0, 0, 0]).is_err());
        let mut huge = vec![ENCODING_V1, 0, 0];
        huge.extend([0xff; 9]);
        assert!(PhaseHistograms::decode(&huge).is_err());
    }
}
