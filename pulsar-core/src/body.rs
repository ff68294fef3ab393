//! Evaluates a body assertion over a body that arrives in chunks, without keeping the body.

use memchr::memmem;

use crate::error::CoreError;
use crate::monitor::BodyAssertion;

/// How much of the body a regex assertion sees: regexes cannot stream, so they match the
/// first `REGEX_WINDOW_BYTES` of the body.
pub const REGEX_WINDOW_BYTES: usize = 1024 * 1024;

/// Feed it every chunk as it arrives, then ask [`BodyMatcher::held`].
///
/// Substring assertions keep only the last `pattern.len() - 1` bytes between chunks, so a
/// match split across a chunk boundary is still found and memory stays flat.
#[derive(Debug)]
pub struct BodyMatcher {
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    Substring {
        finder: Box<memmem::Finder<'static>>,
        negate: bool,
        found: bool,
        carry: Vec<u8>,
    },
    Regex {
        regex: regex::bytes::Regex,
        window: Vec<u8>,
    },
}

impl BodyMatcher {
    pub fn new(assertion: &BodyAssertion) -> Result<Self, CoreError> {
        let substring = |pattern: &str, negate| Mode::Substring {
            finder: Box::new(memmem::Finder::new(pattern.as_bytes()).into_owned()),
            negate,
            found: false,
            carry: Vec::new(),
        };
        let mode = match assertion {
            BodyAssertion::Contains(p) => substring(p, false),
            BodyAssertion::NotContains(p) => substring(p, true),
            BodyAssertion::Regex(p) => Mode::Regex {
                regex: regex::bytes::Regex::new(p).map_err(|e| {
                    CoreError::invalid("body_assertion.pattern", format!("invalid regex: {e}"))
                })?,
                window: Vec::new(),
            },
        };
        Ok(Self { mode })
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        match &mut self.mode {
            Mode::Substring {
                finder,
                found,
                carry,
                ..
            } => {
                if *found || chunk.is_empty() {
                    return;
                }
                let keep = finder.needle().len().saturating_sub(1);
                carry.extend_from_slice(chunk);
                if finder.find(carry).is_some() {
                    *found = true;
                    carry.clear();
                    return;
                }
                let drop = carry.len().saturating_sub(keep);
                carry.drain(..drop);
            }
            Mode::Regex { window, .. } => {
                let room = REGEX_WINDOW_BYTES.saturating_sub(window.len());
                window.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
        }
    }

    /// Whether the assertion holds for everything fed so far.
    pub fn held(&self) -> bool {
        match &self.mode {
            Mode::Substring { negate, found, .. } => *found != *negate,
            Mode::Regex { regex, window } => regex.is_match(window),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(assertion: BodyAssertion, chunks: &[&[u8]]) -> bool {
        let mut m = BodyMatcher::new(&assertion).unwrap();
        for c in chunks {
            m.feed(c);
        }
        m.held()
    }

    #[test]
    fn contains_finds_a_match_split_across_chunks() {
        let a = BodyAssertion::Contains("healthy".into());
        assert!(run(a.clone(), &[b"status: hea", b"l", b"thy!"]));
        assert!(!run(a, &[b"status: hea", b"lth"]));
    }

    #[test]
    fn not_contains_is_the_negation() {
        let a = BodyAssertion::NotContains("error".into());
        assert!(run(a.clone(), &[b"all good"]));
        assert!(!run(a.clone(), &[b"an err", b"or happened"]));
        assert!(run(a, &[]));
    }

    #[test]
    fn regex_matches_across_chunks_within_the_window() {
        let a = BodyAssertion::Regex(r#""ok":\s*true"#.into());
        assert!(run(a.clone(), &[b"{\"ok\":", b"  true}"]));
        assert!(!run(a, &[b"{\"ok\": false}"]));
    }

    #[test]
    fn memory_stays_flat_on_a_long_body() {
        let mut m = BodyMatcher::new(&BodyAssertion::Contains("needle".into())).unwrap();
        for _ in 0..10_000 {
            m.feed(&[b'x'; 4096]);
        }
        let Mode::Substring { carry, .. } = &m.mode else {
            unreachable!()
        };
        assert!(carry.len() < 6);
        assert!(!m.held());
    }
}
