//! One attempt to deliver a notice over a channel: the request each kind takes, sent with
//! the prober (so a receiver gets the same deadline, target policy and classified failures
//! as a monitored site), and what the receiver answered.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pulsar_core::{
    AttemptVerdict, CheckSpec, Destination, FailureKind, Header, Notice, NotificationChannel,
    channel_format, parse_retry_after, printable,
};
use pulsar_probe::Prober;
use ring::hmac;

use super::attempt::{SEND_TIMEOUT, Sent};

/// The header carrying the webhook body's signature: `sha256=<hex>` over
/// `<timestamp>.<body>`, keyed with the channel's secret.
pub const SIGNATURE_HEADER: &str = "X-Pulsar-Signature";
/// The unix time (seconds) the signature covers: receivers refuse old ones (replays).
pub const TIMESTAMP_HEADER: &str = "X-Pulsar-Timestamp";
/// The same on every attempt of one notification: receivers drop the repeats.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// The event announced (`down`, `recovered`, ...).
pub const EVENT_HEADER: &str = "X-Pulsar-Event";

/// The most of a receiver's answer kept in the delivery log.
const DETAIL_CHARS: usize = 300;

/// The dashboard page of the notice's monitor, under `public_url`.
pub fn monitor_link(public_url: Option<&str>, notice: &Notice) -> Option<String> {
    let base = public_url?;
    Some(match notice.monitor_id {
        Some(id) => format!("{base}/monitors/{id}"),
        None => base.to_owned(),
    })
}

/// Delivers `notice` over `channel` once.
pub(super) async fn send(
    prober: &Prober,
    channel: &NotificationChannel,
    notice: &Notice,
    link: Option<&str>,
) -> Sent {
    let started = Instant::now();
    let destination = match channel.destination() {
        Ok(destination) => destination,
        Err(error) => {
            return Sent {
                verdict: AttemptVerdict::Rejected,
                detail: format!("the channel's settings are invalid: {error}"),
                latency: started.elapsed(),
            };
        }
    };
    let json = |value: serde_json::Value| value.to_string();
    let request = match destination {
        Destination::Discord { webhook_url } => {
            post(webhook_url, json(channel_format::discord(notice, link)))
        }
        Destination::Slack { webhook_url } => {
            post(webhook_url, json(channel_format::slack(notice, link)))
        }
        Destination::Webhook { url, secret } => {
            let body = json(channel_format::webhook(notice, link));
            let mut request = post(url, body);
            signed(&mut request, notice, secret.as_deref());
            request
        }
        Destination::Ntfy {
            server_url,
            topic,
            token,
            priority,
        } => {
            let body = channel_format::ntfy(notice, link, &topic, priority);
            let mut request = post(server_url, json(body));
            if let Some(token) = token {
                let auth = Header::new("Authorization", format!("Bearer {token}"));
                request.headers.push(auth);
            }
            request
        }
        Destination::Email(settings) => {
            return super::email::send(&settings, notice, link, started).await;
        }
    };
    let (report, answer) = prober.send(&request).await;
    let latency = started.elapsed();
    if let Some(failure) = report.failure {
        // Refused by the target policy, or a request that cannot be sent: the same next time.
        let permanent = matches!(
            failure.kind,
            FailureKind::TargetRefused | FailureKind::InvalidRequest
        );
        return Sent {
            verdict: if permanent {
                AttemptVerdict::Rejected
            } else {
                AttemptVerdict::Retry(None)
            },
            detail: format!("{}: {}", failure.kind.as_str(), failure.message),
            latency,
        };
    }
    let status = report.status();
    let retry_after = answer
        .retry_after
        .as_deref()
        .and_then(|value| parse_retry_after(value, SystemTime::now()));
    // One line: the log shows a reply beside its status, not as a page.
    let one_line = answer
        .excerpt
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let excerpt: String = printable(&one_line).chars().take(DETAIL_CHARS).collect();
    let detail = match (status, excerpt.is_empty()) {
        (Some(status), true) => format!("HTTP {status}"),
        (Some(status), false) => format!("HTTP {status}: {excerpt}"),
        (None, _) => "no answer".to_owned(),
    };
    Sent {
        verdict: AttemptVerdict::of_status(status, retry_after),
        detail,
        latency,
    }
}

/// A JSON POST to `url` that follows no redirect (a webhook that moved is an error to
/// see, not to chase).
fn post(url: String, body: String) -> CheckSpec {
    let mut spec = CheckSpec::get(url);
    spec.method = "POST".into();
    spec.headers = vec![Header::new("Content-Type", "application/json")];
    spec.body = body;
    spec.timeout = SEND_TIMEOUT;
    spec.follow_redirects = false;
    spec
}

/// Adds the event, the idempotency key and, with a secret, the timestamp and signature.
fn signed(request: &mut CheckSpec, notice: &Notice, secret: Option<&str>) {
    request
        .headers
        .push(Header::new(EVENT_HEADER, notice.event.as_str()));
    request
        .headers
        .push(Header::new(IDEMPOTENCY_HEADER, notice.key.clone()));
    if let Some(secret) = secret {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            .to_string();
        let signature = signature(secret, &timestamp, &request.body);
        request
            .headers
            .push(Header::new(TIMESTAMP_HEADER, timestamp));
        request
            .headers
            .push(Header::new(SIGNATURE_HEADER, format!("sha256={signature}")));
    }
}

/// HMAC-SHA256 of `<timestamp>.<body>` under `secret`, in lower-case hex.
pub fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut context = hmac::Context::with_key(&key);
    context.update(timestamp.as_bytes());
    context.update(b".");
    context.update(body.as_bytes());
    context
        .sign()
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Python: hmac.new(b"Jefe", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
        assert_eq!(
            signature("Jefe", "1700000000", "{\"a\":1}"),
            "fa5f6481efc59da48b19c9dc10196c9953e5651f8304b3a318b6b87d70272e0a"
        );
    }

    #[test]
    fn links_point_at_the_monitor_page() {
        let mut notice = Notice::test("ops", UNIX_EPOCH);
        assert_eq!(monitor_link(None, &notice), None);
        assert_eq!(
            monitor_link(Some("https://p.example"), &notice).as_deref(),
            Some("https://p.example")
        );
        let id = pulsar_core::MonitorId::new();
        notice.monitor_id = Some(id);
        assert_eq!(
            monitor_link(Some("https://p.example"), &notice),
            Some(format!("https://p.example/monitors/{id}"))
        );
    }
}
