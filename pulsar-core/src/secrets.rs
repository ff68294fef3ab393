//! Secrets: which configured values are secret, how a copy safe to show masks them, how an
//! update that sends the mask back keeps the stored secret, and how a connection URL is
//! shown without its password.
//!
//! A secret is shown as [`REDACTED`]. Reads for people (the API, logs) use the `redacted`
//! copies; the prober and the notifier use the stored values. A client that edits a monitor
//! it read sends the mask back for the secrets it did not change, and `keep_secrets` puts
//! the stored values back in their place.

use std::borrow::Cow;

use crate::monitor::Monitor;
use crate::notification::NotificationChannel;

/// What a secret reads as.
pub const REDACTED: &str = "********";

/// Whether a request header carries a secret: credentials and cookies by name, and any
/// header whose name says token, key or secret (`X-Api-Key`, `X-Auth-Token`, …).
pub fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie"
    ) || ["token", "key", "secret"]
        .iter()
        .any(|hint| name.contains(hint))
}

/// Whether a channel setting is a secret: tokens, passwords, keys, and URLs (a webhook URL
/// is itself the credential).
pub fn is_secret_setting(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "token", "secret", "password", "key", "auth", "url", "webhook",
    ]
    .iter()
    .any(|hint| key.contains(hint))
}

/// `url` with the password of its user info masked: `postgres://app:********@db/pulsar`.
/// Anything else (no user info, no password, not a URL) comes back as it was.
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return Cow::Borrowed(url);
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return Cow::Borrowed(url);
    };
    let Some(colon) = authority[..at].find(':') else {
        return Cow::Borrowed(url);
    };
    if colon + 1 == at {
        return Cow::Borrowed(url);
    }
    let password = scheme_end + colon + 1..scheme_end + at;
    let mut masked = url.to_owned();
    masked.replace_range(password, REDACTED);
    Cow::Owned(masked)
}

impl Monitor {
    /// A copy safe to show: secret header values masked. (A monitor's URL cannot carry
    /// credentials: validation refuses them.)
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        for header in &mut copy.check.headers {
            if is_secret_header(&header.name) && !header.value.is_empty() {
                header.value = REDACTED.to_owned();
            }
        }
        copy
    }

    /// Puts `stored`'s secrets back where this (edited) monitor still holds their masks: a
    /// secret header sent back as [`REDACTED`] takes the stored value of the header with
    /// the same name (the nth of that name for the nth).
    pub fn keep_secrets(&mut self, stored: &Monitor) {
        let names: Vec<String> = self.check.headers.iter().map(|h| h.name.clone()).collect();
        for (i, header) in self.check.headers.iter_mut().enumerate() {
            if header.value != REDACTED || !is_secret_header(&header.name) {
                continue;
            }
            let same_name = |name: &String| name.eq_ignore_ascii_case(&header.name);
            let nth = names[..i].iter().filter(|n| same_name(n)).count();
            let original = stored
                .check
                .headers
                .iter()
                .filter(|h| same_name(&h.name))
                .nth(nth);
            if let Some(original) = original {
                header.value.clone_from(&original.value);
            }
        }
    }
}

impl NotificationChannel {
    /// A copy safe to show: values of secret settings ([`is_secret_setting`]) masked.
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        for (key, value) in &mut copy.config {
            if is_secret_setting(key) && !value.is_empty() {
                *value = REDACTED.to_owned();
            }
        }
        copy
    }

    /// Puts `stored`'s values back where this (edited) channel still holds their masks.
    pub fn keep_secrets(&mut self, stored: &NotificationChannel) {
        for (key, value) in &mut self.config {
            if value == REDACTED
                && is_secret_setting(key)
                && let Some(original) = stored.config.get(key)
            {
                value.clone_from(original);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::Header;

    #[test]
    fn secret_headers_are_known_by_name() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "COOKIE",
            "X-Api-Key",
            "X-Auth-Token",
            "Client-Secret",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in ["Accept", "User-Agent", "Set-Cookie-Policy", "X-Request-Id"] {
            assert!(!is_secret_header(name), "{name}");
        }
    }

    #[test]
    fn url_passwords_are_masked_and_nothing_else() {
        let cases = [
            (
                "postgres://app:s3cret@db:5432/pulsar",
                "postgres://app:********@db:5432/pulsar",
            ),
            (
                "redis://:pw@127.0.0.1:6379/0",
                "redis://:********@127.0.0.1:6379/0",
            ),
            (
                "https://u:p%40ss@host/path?q=a@b",
                "https://u:********@host/path?q=a@b",
            ),
            ("https://user@host/", "https://user@host/"),
            ("https://host/a:b@c", "https://host/a:b@c"),
            ("postgres://app:@db/x", "postgres://app:@db/x"),
            ("not a url", "not a url"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    fn with_secrets() -> Monitor {
        let mut m = Monitor::new("api", "https://api.example.com/health");
        m.check.headers = vec![
            Header::new("Authorization", "Bearer one"),
            Header::new("Accept", "application/json"),
            Header::new("x-api-key", "k1"),
            Header::new("X-API-Key", "k2"),
        ];
        m
    }

    #[test]
    fn a_monitor_read_back_with_its_masks_keeps_its_secrets() {
        let stored = with_secrets();
        let shown = stored.redacted();
        let values: Vec<&str> = shown
            .check
            .headers
            .iter()
            .map(|h| h.value.as_str())
            .collect();
        assert_eq!(values, [REDACTED, "application/json", REDACTED, REDACTED]);
        assert!(!format!("{shown:?}").contains("Bearer one"));

        // Sent back unchanged apart from the name: every secret is the stored one.
        let mut edited = shown.clone();
        edited.name = "api v2".into();
        edited.keep_secrets(&stored);
        assert_eq!(edited.check, stored.check);

        // A secret the user replaced is kept as typed; a mask with no stored value stays.
        let mut edited = shown;
        edited.check.headers[0].value = "Bearer two".into();
        edited.check.headers.push(Header::new("Cookie", REDACTED));
        edited.keep_secrets(&stored);
        let values: Vec<&str> = edited
            .check
            .headers
            .iter()
            .map(|h| h.value.as_str())
            .collect();
        assert_eq!(
            values,
            ["Bearer two", "application/json", "k1", "k2", REDACTED]
        );
    }

    #[test]
    fn a_channel_read_back_with_its_masks_keeps_its_secrets() {
        let mut stored = NotificationChannel::new("ops", "webhook");
        stored
            .config
            .insert("url".into(), "https://hooks.example.com/T0/B0/XYZ".into());
        stored.config.insert("secret".into(), "s3cret".into());
        stored.config.insert("method".into(), "POST".into());
        let shown = stored.redacted();
        assert_eq!(shown.config["url"], REDACTED);
        assert_eq!(shown.config["method"], "POST");
        let mut edited = shown;
        edited.config.insert("secret".into(), "new".into());
        edited.keep_secrets(&stored);
        assert_eq!(edited.config["url"], stored.config["url"]);
        assert_eq!(edited.config["secret"], "new");
    }
}
