//! A notice in each channel's own format: Discord embeds, Slack Block Kit, ntfy's JSON
//! publish, Pulsar's documented webhook body, and plain text for e-mail. Pure: the notifier
//! sends what these return.

use serde_json::{Value, json};

use crate::notice::{Notice, NoticeEvent};
use crate::time::{rfc3339, unix_ms};

/// The colour of an event, as `0xRRGGBB`: red down (and reminders), amber degraded (and
/// expiring certificates), green recovered, blue test.
pub fn event_colour(event: NoticeEvent) -> u32 {
    match event {
        NoticeEvent::Down => 0xE5_48_4D,
        NoticeEvent::Degraded => 0xF5_A5_24,
        NoticeEvent::Recovered => 0x30_A4_6C,
        NoticeEvent::Reminder => 0xE5_48_4D,
        NoticeEvent::CertificateExpiring | NoticeEvent::HostAlert => 0xF5_A5_24,
        NoticeEvent::HostResolved => 0x30_A4_6C,
        NoticeEvent::Test => 0x3E_63_DD,
    }
}

/// At most `max` characters of `text`, with an ellipsis when cut: chat services refuse
/// longer fields instead of cutting them.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A Discord webhook message: one embed coloured by state, its facts as fields (Discord's
/// limits: title 256 characters, field values 1024, 25 fields).
pub fn discord(notice: &Notice, link: Option<&str>) -> Value {
    let fields: Vec<Value> = notice
        .facts(link)
        .into_iter()
        .filter(|(label, _)| *label != "Cause")
        .take(25)
        .map(|(label, value)| {
            let inline = matches!(label, "State" | "Failure" | "Phase" | "HTTP status");
            json!({"name": label, "value": fit(&value, 1024), "inline": inline})
        })
        .collect();
    let mut embed = json!({
        "title": fit(&notice.title(), 256),
        "description": fit(&notice.cause, 4096),
        "color": event_colour(notice.event),
        "fields": fields,
        "timestamp": rfc3339(notice.occurred_at),
        "footer": {"text": "Pulsar"},
    });
    if let Some(link) = link {
        embed["url"] = json!(link);
    }
    json!({"username": "Pulsar", "embeds": [embed]})
}

/// A Slack incoming-webhook message in Block Kit: a header, the cause, the facts as section
/// fields (at most 10, 2000 characters each), the phase summary as context, and `text` as
/// the notification's fallback.
pub fn slack(notice: &Notice, link: Option<&str>) -> Value {
    let title = notice.title();
    let facts = notice.facts(link);
    let fields: Vec<Value> = facts
        .iter()
        .filter(|(label, _)| !matches!(*label, "Cause" | "Phases" | "Dashboard"))
        .take(10)
        .map(|(label, value)| json!({"type": "mrkdwn", "text": fit(&format!("*{label}*\n{value}"), 2000)}))
        .collect();
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": fit(&title, 150), "emoji": true},
    })];
    if !notice.cause.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": fit(&notice.cause, 3000)},
        }));
    }
    if !fields.is_empty() {
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    let summary = notice.phase_summary();
    if !summary.is_empty() {
        blocks.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": fit(&summary, 3000)}],
        }));
    }
    if let Some(link) = link {
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": {"type": "plain_text", "text": "Open in Pulsar"},
                "url": link,
            }],
        }));
    }
    json!({"text": title, "blocks": blocks})
}

/// An ntfy JSON publish to `topic`: title, message, priority (urgent for down unless the
/// channel sets one), tags and the dashboard link as the click action.
pub fn ntfy(notice: &Notice, link: Option<&str>, topic: &str, priority: Option<u8>) -> Value {
    let (default_priority, tag) = match notice.event {
        NoticeEvent::Down => (5, "rotating_light"),
        NoticeEvent::Degraded => (4, "warning"),
        NoticeEvent::Recovered => (3, "white_check_mark"),
        NoticeEvent::Reminder => (4, "rotating_light"),
        NoticeEvent::CertificateExpiring => (4, "lock"),
        NoticeEvent::HostAlert => (4, "computer"),
        NoticeEvent::HostResolved => (3, "white_check_mark"),
        NoticeEvent::Test => (3, "test_tube"),
    };
    let mut message = json!({
        "topic": topic,
        "title": notice.title(),
        "message": plain_text(notice, None),
        "priority": priority.unwrap_or(default_priority),
        "tags": [tag, notice.event.as_str()],
    });
    if let Some(link) = link {
        message["click"] = json!(link);
    }
    message
}

/// Pulsar's own webhook body (documented in the README): the event, the monitor, the state
/// change and the deciding check's failure and phases, times in RFC 3339 and milliseconds.
pub fn webhook(notice: &Notice, link: Option<&str>) -> Value {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let phases: serde_json::Map<String, Value> = notice
        .phases
        .named()
        .into_iter()
        .filter_map(|(name, time)| time.map(|t| (format!("{name}_ms"), json!(ms(t)))))
        .collect();
    json!({
        "id": notice.key,
        "event": notice.event.as_str(),
        "title": notice.title(),
        "occurred_at": rfc3339(notice.occurred_at),
        "occurred_at_unix_ms": unix_ms(notice.occurred_at),
        "monitor": notice.monitor_id.map(|id| json!({
            "id": id.to_string(),
            "name": notice.monitor_name,
            "url": notice.url,
        })),
        "state": notice.state.as_str(),
        "previous_state": notice.previous_state.as_str(),
        "cause": notice.cause,
        "since": notice.since.map(rfc3339),
        "incident_id": notice.incident_id.map(|i| i.0),
        "failure": notice.failure.as_ref().map(|f| json!({
            "kind": f.kind.as_str(),
            "message": f.message,
        })),
        "phase": notice.phase.as_ref().map(|(name, time)| json!({
            "name": name,
            "ms": ms(*time),
        })),
        "phases": phases,
        "phase_summary": notice.phase_summary(),
        "status_code": notice.status,
        "down_for_ms": notice.down_for.map(|d| d.as_millis() as u64),
        "dashboard_url": link,
        "host": (!notice.host.is_empty()).then_some(&notice.host),
        "condition": (!notice.condition.is_empty()).then_some(&notice.condition),
    })
}

/// The notice as plain text (an e-mail body, an ntfy message): the cause, then one fact per
/// line.
pub fn plain_text(notice: &Notice, link: Option<&str>) -> String {
    let mut text = String::new();
    if !notice.cause.is_empty() {
        text.push_str(&notice.cause);
        text.push_str("\n\n");
    }
    for (label, value) in notice.facts(link) {
        if label != "Cause" {
            text.push_str(&format!("{label}: {value}\n"));
        }
    }
    text.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::monitor::{MonitorId, MonitorState};
    use crate::phases::Phases;
    use crate::report::{Failure, FailureKind};
    use crate::time::from_unix_ms;

    fn down() -> Notice {
        let mut notice = Notice::test("x", from_unix_ms(1_700_000_000_000));
        notice.key = "k1".into();
        notice.event = NoticeEvent::Down;
        notice.monitor_id = Some(MonitorId::new());
        notice.monitor_name = "shop".into();
        notice.url = "https://shop.example/".into();
        notice.state = MonitorState::Down;
        notice.previous_state = MonitorState::Up;
        notice.cause = "3 failed checks in a row: connection refused".into();
        notice.failure = Some(Failure::new(
            FailureKind::ConnectRefused,
            "connection refused",
        ));
        notice.phase = Some(("connect".into(), Duration::from_micros(350)));
        notice.phases = Phases {
            dns: Some(Duration::from_millis(12)),
            ..Phases::default()
        };
        notice
    }

    #[test]
    fn discord_gets_one_coloured_embed_within_its_limits() {
        let mut notice = down();
        notice.cause = "x".repeat(5000);
        let body = discord(&notice, Some("https://p.example/monitors/1"));
        let embed = &body["embeds"][0];
        assert_eq!(embed["color"], 0xE5484D);
        assert_eq!(embed["url"], "https://p.example/monitors/1");
        assert_eq!(embed["description"].as_str().unwrap().chars().count(), 4096);
        assert_eq!(embed["timestamp"], "2023-11-14T22:13:20.000Z");
        let names: Vec<_> = embed["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "URL",
                "State",
                "Failure",
                "Error",
                "Phase",
                "Phases",
                "Dashboard"
            ]
        );
    }

    #[test]
    fn slack_gets_block_kit_with_a_fallback_text() {
        let body = slack(&down(), Some("https://p.example/monitors/1"));
        assert_eq!(body["text"], "[DOWN] shop: connect_refused");
        let types: Vec<_> = body["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            ["header", "section", "section", "context", "actions"]
        );
        assert_eq!(body["blocks"][3]["elements"][0]["text"], "dns 12 ms");
    }

    #[test]
    fn webhook_body_carries_the_facts_machine_readably() {
        let body = webhook(&down(), None);
        assert_eq!(body["id"], "k1");
        assert_eq!(body["event"], "down");
        assert_eq!(body["state"], "down");
        assert_eq!(body["previous_state"], "up");
        assert_eq!(body["failure"]["kind"], "connect_refused");
        assert_eq!(body["phase"]["name"], "connect");
        assert_eq!(body["phase"]["ms"], 0.35);
        assert_eq!(body["phases"]["dns_ms"], 12.0);
        assert_eq!(body["monitor"]["name"], "shop");
        assert!(body["dashboard_url"].is_null());
    }

    #[test]
    fn ntfy_is_urgent_for_down_unless_the_channel_says_otherwise() {
        let body = ntfy(&down(), None, "alerts", None);
        assert_eq!(body["topic"], "alerts");
        assert_eq!(body["priority"], 5);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("Failure: connect_refused")
        );
        assert_eq!(ntfy(&down(), None, "alerts", Some(2))["priority"], 2);
    }
}
