//! The API's schema: its services are all there, its messages cross JSON and binary, and a
//! request from a newer client (with fields this build does not know) is accepted.

use prost::Message;
use pulsar_core::proto::{FILE_DESCRIPTOR_SET, v1};

fn methods(service: &str) -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("descriptor");
    set.file
        .iter()
        .flat_map(|file| &file.service)
        .filter(|s| s.name() == service)
        .flat_map(|s| s.method.iter().map(|m| m.name().to_owned()))
        .collect()
}

#[test]
fn every_service_has_the_methods_the_api_promises() {
    let table: [(&str, &[&str]); 4] = [
        (
            "MonitorService",
            &[
                "CreateMonitor",
                "GetMonitor",
                "ListMonitors",
                "UpdateMonitor",
                "DeleteMonitor",
                "PauseMonitor",
                "ResumeMonitor",
                "CheckNow",
                "ListResults",
                "GetSummaries",
                "GetPhaseSeries",
                "GetOverview",
            ],
        ),
        (
            "HostService",
            &["ListHosts", "GetHostSnapshot", "GetHostSeries"],
        ),
        (
            "AlertService",
            &[
                "CreateChannel",
                "GetChannel",
                "ListChannels",
                "UpdateChannel",
                "DeleteChannel",
                "TestChannel",
                "GetChannelRouting",
                "SetChannelRouting",
                "ListIncidents",
                "ListHostIncidents",
                "ListDeliveries",
                "CreateMaintenanceWindow",
                "ListMaintenanceWindows",
                "UpdateMaintenanceWindow",
                "DeleteMaintenanceWindow",
            ],
        ),
        ("SystemService", &["GetStatus"]),
    ];
    for (service, expected) in table {
        assert_eq!(methods(service), expected, "{service}");
    }
}

#[test]
fn a_newer_clients_unknown_fields_are_ignored() {
    let json = r#"{
        "monitor": {"name": "api", "url": "https://example.com/", "retryPolicy": {"x": 1}},
        "dryRun": true
    }"#;
    let request: v1::CreateMonitorRequest = serde_json::from_str(json).expect("accepted");
    let monitor = request.monitor.expect("monitor");
    assert_eq!(
        (monitor.name.as_str(), monitor.url.as_str()),
        ("api", "https://example.com/")
    );
    // Binary protobuf skips unknown fields too: a field number this schema lacks.
    let mut bytes = request_bytes();
    bytes.extend([0xf8, 0x06, 0x01]); // field 111, varint 1
    let decoded = v1::GetMonitorRequest::decode(bytes.as_slice()).expect("accepted");
    assert_eq!(decoded.id, "m-1");
}

fn request_bytes() -> Vec<u8> {
    v1::GetMonitorRequest { id: "m-1".into() }.encode_to_vec()
}

#[test]
fn api_messages_cross_json_and_binary_unchanged() {
    let response = v1::GetOverviewResponse {
        monitors: vec![v1::OverviewMonitor {
            monitor: Some(v1::Monitor {
                name: "api".into(),
                enabled: Some(true),
                ..Default::default()
            }),
            uptime_24h_pct: Some(99.5),
            recent_total_us: vec![1_200, 0, 980],
            recent_outcomes: vec![v1::Outcome::Up.into(), v1::Outcome::Down.into()],
            ..Default::default()
        }],
        next_page_token: "opaque".into(),
        down: 1,
        ..Default::default()
    };
    let json = serde_json::to_string(&response).unwrap();
    // proto3 JSON: camelCase names, 64-bit integers as strings, enums by name.
    assert!(
        json.contains(r#""recentTotalUs":["1200","0","980"]"#),
        "{json}"
    );
    assert!(json.contains("OUTCOME_DOWN"), "{json}");
    let back: v1::GetOverviewResponse = serde_json::from_str(&json).unwrap();
    assert_eq!(back, response);
    let bytes = response.encode_to_vec();
    assert_eq!(
        v1::GetOverviewResponse::decode(bytes.as_slice()).unwrap(),
        response
    );

    // A validation failure, as the API's error detail: every field, under the request's.
    let mut monitor = pulsar_core::Monitor::new("", "ftp://example.com/");
    monitor.interval = std::time::Duration::ZERO;
    let errors = monitor.validate().unwrap_err();
    let detail = pulsar_core::bad_request("monitor", errors.field_errors());
    let fields: Vec<&str> = detail
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert!(fields.contains(&"monitor.name"), "{fields:?}");
    assert!(
        fields.iter().all(|f| f.starts_with("monitor.")),
        "{fields:?}"
    );
    assert!(
        detail
            .field_violations
            .iter()
            .all(|v| !v.description.is_empty())
    );
    let json = serde_json::to_string(&detail).unwrap();
    assert!(
        json.starts_with(r#"{"fieldViolations":[{"field":"monitor."#),
        "{json}"
    );
}
