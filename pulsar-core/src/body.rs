//! Evaluates a body assertion over a body that arrives in chunks, without keeping the body.

use std::sync::Arc;

use memchr::memmem;

use crate::error::CoreError;
use crate::monitor::BodyAssertion;

/// How much of the body a regex assertion sees: regexes cannot stream, so they match the
/// first `REGEX_WINDOW_BYTES` of the body.
pub const REGEX_WINDOW_BYTES: usize = 1024 * 1024;

/// The most a body regex may take once compiled (the `regex` crate's default is 10 MiB).
/// Counted repetitions multiply (`(a{1000}){1000}` is a million states), so a short pattern
/// can ask for gigabytes; one over this limit is refused when the monitor is validated, not
/// met by a worker. Unicode classes are large: `\w{20}` fits, `\w{50}` does not.
pub const REGEX_SIZE_LIMIT_BYTES: usize = 1024 * 1024;

/// The most a body regex's lazy DFA may cache while it matches. The `regex` crate never
/// backtracks, so with the program, this cache and the window bounded, so is each match.
pub const REGEX_DFA_SIZE_LIMIT_BYTES: usize = 1024 * 1024;

/// Compiles a body regex within the size limits; the error is a message for the user.
pub(crate) fn compile_regex(pattern: &str) -> Result<regex::bytes::Regex, String> {
    regex::bytes::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT_BYTES)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT_BYTES)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "too complex: compiled, it exceeds the {limit} byte limit (use fewer or \
                 smaller counted repetitions, or ASCII classes such as (?-u:\\w))"
            ),
            other => format!("invalid regex: {other}"),
        })
}

/// A body assertion made ready once (its regex compiled, its substring searcher built) and
/// shared by every check that uses it: cloning it is an `Arc` clone, and each check feeds a
/// [`BodyMatcher`] of its own from [`CompiledAssertion::matcher`].
#[derive(Debug, Clone)]
pub struct CompiledAssertion(Arc<Rule>);

#[derive(Debug)]
enum Rule {
    Substring {
        finder: Box<memmem::Finder<'static>>,
        negate: bool,
    },
    Regex(regex::bytes::Regex),
}

impl CompiledAssertion {
    pub fn new(assertion: &BodyAssertion) -> Result<Self, CoreError> {
        let substring = |pattern: &str, negate| Rule::Substring {
            finder: Box::new(memmem::Finder::new(pattern.as_bytes()).into_owned()),
            negate,
        };
        let rule = match assertion {
            BodyAssertion::Contains(p) => substring(p, false),
            BodyAssertion::NotContains(p) => substring(p, true),
            BodyAssertion::Regex(p) => Rule::Regex(
                compile_regex(p)
                    .map_err(|message| CoreError::invalid("body_assertion.pattern", message))?,
            ),
        };
        Ok(Self(Arc::new(rule)))
    }

    /// A fresh matcher for one body.
    pub fn matcher(&self) -> BodyMatcher {
        BodyMatcher {
            rule: self.clone(),
            found: false,
            seen: Vec::new(),
        }
    }

    /// Whether both are the same compiled assertion (not merely equal patterns).
    pub fn shares_with(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Feed it every chunk as it arrives, then ask [`BodyMatcher::held`].
///
/// Substring assertions keep only the last `pattern.len() - 1` bytes between chunks, so a
/// match split across a chunk boundary is still found and memory stays flat.
#[derive(Debug)]
pub struct BodyMatcher {
    rule: CompiledAssertion,
    /// A substring assertion found its pattern.
    found: bool,
    /// Substring: the carry-over between chunks. Regex: the window matched at the end.
    seen: Vec<u8>,
}

impl BodyMatcher {
    /// Compiles `assertion` for one body; to check many bodies against the same assertion,
    /// compile it once with [`CompiledAssertion::new`] and take a matcher from it per body.
    pub fn new(assertion: &BodyAssertion) -> Result<Self, CoreError> {
        CompiledAssertion::new(assertion).map(|compiled| compiled.matcher())
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        match &*self.rule.0 {
            Rule::Substring { finder, .. } => {
                if self.found || chunk.is_empty() {
                    return;
                }
                let keep = finder.needle().len().saturating_sub(1);
                self.seen.extend_from_slice(chunk);
                if finder.find(&self.seen).is_some() {
                    self.found = true;
                    self.seen.clear();
                    return;
                }
                let drop = self.seen.len().saturating_sub(keep);
                self.seen.drain(..drop);
            }
            Rule::Regex(_) => {
                let room = REGEX_WINDOW_BYTES.saturating_sub(self.seen.len());
                self.seen.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
        }
    }

    /// Whether the assertion holds for everything fed so far.
    pub fn held(&self) -> bool {
        match &*self.rule.0 {
            Rule::Substring { negate, .. } => self.found != *negate,
            Rule::Regex(regex) => regex.is_match(&self.seen),
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
    fn regex_sees_only_the_window() {
        let a = BodyAssertion::Regex("needle".into());
        let filler = vec![b'x'; REGEX_WINDOW_BYTES - b"needle".len()];
        assert!(
            run(a.clone(), &[&filler, b"need", b"le"]),
            "ends the window"
        );
        assert!(!run(a, &[&filler, b"x", b"needle"]), "past the window");
    }

    #[test]
    fn memory_stays_flat_on_a_long_body() {
        let mut m = BodyMatcher::new(&BodyAssertion::Contains("needle".into())).unwrap();
        for _ in 0..10_000 {
            m.feed(&[b'x'; 4096]);
        }
        assert!(m.seen.len() < 6);
        assert!(!m.held());
    }

    #[test]
    fn one_compiled_assertion_serves_many_bodies_each_with_its_own_state() {
        let compiled = CompiledAssertion::new(&BodyAssertion::Regex("^ok$".into())).unwrap();
        let shared = compiled.clone();
        assert!(shared.shares_with(&compiled), "a clone is the same regex");
        let mut first = compiled.matcher();
        let mut second = shared.matcher();
        first.feed(b"ok");
        second.feed(b"not ok");
        assert!(first.held());
        assert!(!second.held(), "the second body is matched on its own");
        let again = CompiledAssertion::new(&BodyAssertion::Regex("^ok$".into())).unwrap();
        assert!(!again.shares_with(&compiled));
    }

    #[test]
    fn a_regex_that_compiles_too_big_is_refused_with_the_limit() {
        let error = compile_regex("(a{1000}){1000}").unwrap_err();
        assert!(error.starts_with("too complex"), "{error}");
        assert!(
            error.contains(&REGEX_SIZE_LIMIT_BYTES.to_string()),
            "{error}"
        );
        // What people write to check a health page is far below the limit.
        for pattern in [
            r#""status":\s*"(ok|healthy|up)""#,
            r"\bversion\s*[:=]\s*\d+\.\d+\.\d+\b",
            r"(?i)<title>[^<]{0,200}dashboard",
            r"[0-9a-f]{64}",
            r"\w{20}",
            r"(?-u:\w{200})",
        ] {
            compile_regex(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        }
        assert!(
            compile_regex("(unclosed")
                .unwrap_err()
                .starts_with("invalid regex")
        );
    }
}
