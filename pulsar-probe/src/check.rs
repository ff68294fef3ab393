//! One check: hops in order, each phase its own await with a timestamp, all under one
//! deadline.

use std::collections::HashSet;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Method, StatusCode};
use pulsar_core::{
    BodyMatcher, CheckSpec, CompiledAssertion, Failure, FailureKind, HopReport, Phases, ProbeReport,
};
use tokio::time::{Instant, timeout_at};
use url::Url;

use crate::builder::Prober;
use crate::http::{self as exchange, RequestParts};
use crate::io::{Conn, FirstByte, Transport};

/// The phase a check is in, so a timeout is reported as the phase it interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Dns,
    Connect,
    Tls,
    Ttfb,
    Download,
}

impl Phase {
    fn timed_out(self, timeout: Duration) -> Failure {
        let ms = timeout.as_millis();
        let (kind, message) = match self {
            Self::Dns => (
                FailureKind::DnsTimeout,
                format!("DNS lookup timed out (check timeout {ms} ms)"),
            ),
            Self::Connect => (
                FailureKind::ConnectTimeout,
                format!("TCP connect timed out (check timeout {ms} ms)"),
            ),
            Self::Tls => (
                FailureKind::TlsTimeout,
                format!("TLS handshake timed out (check timeout {ms} ms)"),
            ),
            Self::Ttfb => (
                FailureKind::HttpTimeout,
                format!("no response head before the {ms} ms timeout"),
            ),
            Self::Download => (
                FailureKind::BodyTimeout,
                format!("the body did not finish before the {ms} ms timeout"),
            ),
        };
        Failure::new(kind, message)
    }
}

/// What a check has seen so far. It lives outside the future that runs the check, so when
/// the overall timeout drops that future the completed phases are still here.
struct Progress {
    /// When the check started: hops record their start from it.
    start: Instant,
    hops: Vec<HopReport>,
    phase: Phase,
    body_assertion_held: Option<bool>,
    /// Set by [`Prober::send`]: what of the final answer to keep.
    answer: Option<Answer>,
}

/// The part of a final answer [`Prober::send`] keeps: what a sender needs to read the
/// receiver's reply and its wish to be retried later.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
    /// The start of the body, at most [`ANSWER_EXCERPT_BYTES`], lossily decoded.
    pub excerpt: String,
    excerpt_bytes: Vec<u8>,
}

/// How much of an answer's body [`Prober::send`] keeps.
pub const ANSWER_EXCERPT_BYTES: usize = 512;

/// The decision a response head leads to.
enum Next {
    Done,
    Follow(Url, RequestParts),
}

impl Prober {
    /// Runs one check on fresh connections and reports every phase it reached. Never fails
    /// and never outlives `spec.timeout`: a failed check is a report with `failure` set.
    pub async fn check(&self, spec: &CheckSpec) -> ProbeReport {
        self.exchange(spec, None).await.0
    }

    /// Sends a request the way [`check`](Self::check) runs one (the same deadline, target
    /// policy and classified failures) and also keeps the start of the final answer and its
    /// `Retry-After`: for delivering notifications, where the reply matters.
    pub async fn send(&self, spec: &CheckSpec) -> (ProbeReport, Answer) {
        let (report, answer) = self.exchange(spec, Some(Answer::default())).await;
        let mut answer = answer.unwrap_or_default();
        answer.excerpt = String::from_utf8_lossy(&answer.excerpt_bytes).into_owned();
        (report, answer)
    }

    async fn exchange(
        &self,
        spec: &CheckSpec,
        answer: Option<Answer>,
    ) -> (ProbeReport, Option<Answer>) {
        let started_at = SystemTime::now();
        let start = Instant::now();
        let deadline = start + spec.timeout;
        let mut progress = Progress {
            start,
            hops: Vec::new(),
            phase: Phase::Dns,
            body_assertion_held: None,
            answer,
        };
        let failure = match timeout_at(deadline, self.run(spec, deadline, &mut progress)).await {
            Ok(result) => result.err(),
            Err(_) => Some(progress.phase.timed_out(spec.timeout)),
        };
        let total = start.elapsed();
        let mut phases = progress
            .hops
            .iter()
            .fold(Phases::default(), |sum, hop| sum.sum(&hop.phases));
        phases.total = Some(total);
        let report = ProbeReport {
            url: spec.url.clone(),
            started_at,
            hops: progress.hops,
            phases,
            failure,
            body_assertion_held: progress.body_assertion_held,
        };
        (report, progress.answer)
    }

    /// A check of `url` with [`CheckSpec::get`]'s defaults.
    pub async fn get(&self, url: &str) -> ProbeReport {
        self.check(&CheckSpec::get(url)).await
    }

    async fn run(
        &self,
        spec: &CheckSpec,
        deadline: Instant,
        progress: &mut Progress,
    ) -> Result<(), Failure> {
        // The regex is compiled below, once per prober rather than once per check.
        spec.validate_except_regex()
            .map_err(|e| Failure::new(FailureKind::InvalidRequest, e.to_string()))?;
        let mut url = Url::parse(&spec.url)
            .map_err(|e| Failure::new(FailureKind::InvalidRequest, format!("bad URL: {e}")))?;
        let mut parts = RequestParts {
            method: Method::from_bytes(spec.method.as_bytes()).map_err(|_| {
                Failure::new(
                    FailureKind::InvalidRequest,
                    format!("bad method {}", spec.method),
                )
            })?,
            headers: spec.headers.clone(),
            body: Bytes::from(spec.body.clone().into_bytes()),
        };
        let mut matcher = spec
            .body_assertion
            .as_ref()
            .map(|assertion| {
                self.assertions
                    .get_or_try_insert(assertion, || CompiledAssertion::new(assertion))
                    .map(|compiled| compiled.matcher())
            })
            .transpose()
            .map_err(|e| Failure::new(FailureKind::InvalidRequest, e.to_string()))?;
        let max_redirects = spec.max_redirects.min(self.max_redirects);
        let mut seen = HashSet::from([url.to_string()]);
        loop {
            progress.hops.push(HopReport {
                url: url.to_string(),
                start_offset: progress.start.elapsed(),
                ..HopReport::default()
            });
            let next = self
                .hop(&url, &parts, spec, matcher.as_mut(), deadline, progress)
                .await?;
            match next {
                Next::Done => {
                    progress.body_assertion_held = matcher.as_ref().map(BodyMatcher::held);
                    return Ok(());
                }
                Next::Follow(target, next_parts) => {
                    let redirects = progress.hops.len() - 1;
                    if !seen.insert(target.to_string()) {
                        return Err(Failure::new(
                            FailureKind::RedirectLoop,
                            format!("redirect loop: {target} was already visited"),
                        ));
                    }
                    if redirects >= max_redirects as usize {
                        return Err(Failure::new(
                            FailureKind::RedirectTooMany,
                            format!("more than {max_redirects} redirects"),
                        ));
                    }
                    url = target;
                    parts = next_parts;
                }
            }
        }
    }

    /// One request/response exchange on its own connection, timed phase by phase into the
    /// last hop of `progress`.
    async fn hop(
        &self,
        url: &Url,
        parts: &RequestParts,
        spec: &CheckSpec,
        matcher: Option<&mut BodyMatcher>,
        deadline: Instant,
        progress: &mut Progress,
    ) -> Result<Next, Failure> {
        let timeout = spec.timeout;
        let hop_start = Instant::now();
        let https = url.scheme() == "https";
        let host = url
            .host_str()
            .ok_or_else(|| {
                Failure::new(FailureKind::InvalidRequest, format!("{url} names no host"))
            })?
            .to_owned();
        let port = url
            .port_or_known_default()
            .unwrap_or(if https { 443 } else { 80 });

        // dns: an IP literal needs no lookup, and its phase is zero.
        progress.phase = Phase::Dns;
        let (addrs, dns) = match literal_ip(&host) {
            Some(ip) if self.ip_family.allows(ip) => (vec![ip], Duration::ZERO),
            Some(_) => return Err(crate::dns::no_address(&host, self.ip_family)),
            None => {
                let dns_start = Instant::now();
                let lookup = crate::dns::lookup(&self.resolver, &host, self.ip_family);
                let addrs = step(deadline, Phase::Dns, timeout, lookup).await?;
                (addrs, dns_start.elapsed())
            }
        };
        last(progress).phases.dns = Some(dns);

        progress.phase = Phase::Connect;
        let connect_start = Instant::now();
        let connecting = crate::connect::connect(&addrs, port, deadline, self.target_policy);
        let (tcp, remote) = step(deadline, Phase::Connect, timeout, connecting).await?;
        let hop = last(progress);
        hop.phases.connect = Some(connect_start.elapsed());
        hop.remote_addr = Some(remote);

        let (transport, http2) = if https {
            progress.phase = Phase::Tls;
            let tls_start = Instant::now();
            let name = crate::names::server_name(&host)?;
            let config = self
                .tls
                .for_check(spec.verify_tls, spec.tls_ca_pem.as_deref())?;
            let handshake = crate::tls::handshake(config, name, tcp);
            let stream = step(deadline, Phase::Tls, timeout, handshake).await?;
            let hop = last(progress);
            hop.phases.tls = Some(tls_start.elapsed());
            let info = crate::tls::info(&stream);
            let http2 = info.alpn.as_deref() == Some("h2");
            hop.tls = Some(info);
            (Transport::Tls(Box::new(stream)), http2)
        } else {
            (Transport::Plain(tcp), false)
        };

        progress.phase = Phase::Ttfb;
        let request_start = Instant::now();
        let request = exchange::build_request(url, parts, &self.user_agent, http2)?;
        let first_byte = Arc::new(FirstByte::default());
        let conn = Conn::new(transport, first_byte.clone(), http2, deadline);
        let sending = exchange::send(conn, first_byte, http2, request);
        let mut response = step(deadline, Phase::Ttfb, timeout, sending).await?;
        let first_byte_at = response.first_byte_at.max(request_start);
        let status = response.response.status();
        let hop = last(progress);
        hop.phases.ttfb = Some(first_byte_at - request_start);
        hop.status = Some(status.as_u16());
        hop.http_version = Some(exchange::version_name(response.response.version()).to_owned());

        let next = if spec.follow_redirects {
            redirect_target(url, status, response.response.headers(), parts)?
        } else {
            None
        };
        // Only the final body is what the assertion is about; redirect bodies are counted.
        let matcher = if next.is_none() { matcher } else { None };

        progress.phase = Phase::Download;
        let limit = self.body_limit_bytes;
        // Only the final answer is kept; its excerpt is filled as the body streams.
        let mut excerpt = None;
        if next.is_none()
            && let Some(answer) = progress.answer.as_mut()
        {
            answer.retry_after = response
                .response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            excerpt = Some(std::mem::take(&mut answer.excerpt_bytes));
        }
        let hop = last(progress);
        let body = response.response.body_mut();
        let draining = exchange::drain(body, limit, matcher, excerpt.as_mut(), &mut hop.body_bytes);
        let drained = step(deadline, Phase::Download, timeout, draining).await;
        if let (Some(answer), Some(excerpt)) = (progress.answer.as_mut(), excerpt) {
            answer.excerpt_bytes = excerpt;
        }
        drained?;
        let body_end = Instant::now();
        let hop = last(progress);
        hop.phases.download = Some(body_end - first_byte_at);
        hop.phases.total = Some(body_end - hop_start);
        Ok(match next {
            Some((target, next_parts)) => Next::Follow(target, next_parts),
            None => Next::Done,
        })
    }
}

fn last(progress: &mut Progress) -> &mut HopReport {
    // `run` pushes a hop before calling `hop`, so there always is one.
    let index = progress.hops.len().saturating_sub(1);
    &mut progress.hops[index]
}

fn literal_ip(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Bounds one phase by the check's deadline and names the phase when it runs out. Work
/// that fails once the deadline has passed failed because of it (a hop's connection refuses
/// to read past the deadline), so it too is the phase's timeout.
async fn step<T>(
    deadline: Instant,
    phase: Phase,
    timeout: Duration,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    match timeout_at(deadline, work).await {
        Ok(Err(_)) if Instant::now() >= deadline => Err(phase.timed_out(timeout)),
        Ok(result) => result,
        Err(_) => Err(phase.timed_out(timeout)),
    }
}

/// Where a redirect response points, and the request to send there (browser rules: 303,
/// and 301/302 after a POST, become a GET without a body; credentials stay on their origin).
fn redirect_target(
    url: &Url,
    status: StatusCode,
    headers: &http::HeaderMap,
    parts: &RequestParts,
) -> Result<Option<(Url, RequestParts)>, Failure> {
    if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some(location) = headers.get(http::header::LOCATION) else {
        return Ok(None);
    };
    let location = location
        .to_str()
        .map_err(|_| Failure::new(FailureKind::HttpProtocol, "the Location header is not text"))?;
    let target = url.join(location).map_err(|e| {
        Failure::new(
            FailureKind::HttpProtocol,
            format!("the Location header {location:?} is not a URL: {e}"),
        )
    })?;
    if !matches!(target.scheme(), "http" | "https") {
        return Err(Failure::new(
            FailureKind::InvalidRequest,
            format!("redirect to {target}: only http and https are followed"),
        ));
    }
    let mut next = parts.clone();
    let becomes_get = status == StatusCode::SEE_OTHER && parts.method != Method::HEAD
        || matches!(status.as_u16(), 301 | 302) && parts.method == Method::POST;
    if becomes_get {
        next.method = Method::GET;
        next.body = Bytes::new();
        next.headers.retain(|h| {
            !h.name.eq_ignore_ascii_case("content-type")
                && !h.name.eq_ignore_ascii_case("content-length")
        });
    }
    if target.origin() != url.origin() {
        next.headers.retain(|h| {
            !h.name.eq_ignore_ascii_case("authorization") && !h.name.eq_ignore_ascii_case("cookie")
        });
    }
    Ok(Some((target, next)))
}

#[cfg(test)]
mod tests {
    use pulsar_core::BodyAssertion;

    use super::*;

    #[tokio::test]
    async fn a_body_regex_is_compiled_once_for_every_check_that_uses_it() {
        // Nothing listens there: the regex is compiled before the network is touched.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", closed.local_addr().unwrap());
        drop(closed);
        let prober = Prober::builder()
            .dns_server(Some("127.0.0.1:9".parse().unwrap()))
            .build()
            .unwrap();
        let assertion = BodyAssertion::Regex(r#""status":\s*"ok""#.into());
        let mut spec = CheckSpec::get(url);
        spec.body_assertion = Some(assertion.clone());
        for _ in 0..3 {
            let report = prober.check(&spec).await;
            assert_eq!(report.failure.unwrap().kind, FailureKind::ConnectRefused);
        }
        let cached = prober.assertions.get_or_try_insert(&assertion, || {
            Err::<CompiledAssertion, _>("compiled a second time")
        });
        assert!(cached.is_ok());
        assert_eq!(prober.assertions.len(), 1);

        spec.body_assertion = Some(BodyAssertion::Regex("(a{1000}){1000}".into()));
        let failure = prober.check(&spec).await.failure.unwrap();
        assert_eq!(failure.kind, FailureKind::InvalidRequest);
        assert!(
            failure
                .message
                .contains("body_assertion.pattern: too complex"),
            "{}",
            failure.message
        );
        assert_eq!(prober.assertions.len(), 1, "a refused pattern is not kept");
    }
}
