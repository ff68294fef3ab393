//! The channel kinds and what each one's settings must say: a channel's `config` map read
//! into a typed destination, with every missing or malformed setting named by its field.

use std::collections::BTreeMap;

use url::Url;

use crate::error::{CoreError, FieldError};

/// The kinds of channel the notifier delivers to.
pub const CHANNEL_KINDS: [&str; 5] = ["discord", "slack", "webhook", "email", "ntfy"];

/// Where ntfy messages go unless a channel names its own server.
pub const DEFAULT_NTFY_SERVER: &str = "https://ntfy.sh";

/// How an e-mail channel secures its SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server cannot.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or network.
    None,
}

/// An e-mail channel's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Empty: no authentication.
    pub username: String,
    pub password: String,
    pub from: String,
    pub to: Vec<String>,
    /// Certificates (PEM) trusted besides the public roots, for a mail server whose
    /// certificate a private CA signed; empty for none.
    pub ca_pem: String,
}

/// A channel's settings, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Discord {
        webhook_url: String,
    },
    Slack {
        webhook_url: String,
    },
    /// Pulsar's documented JSON body, signed with HMAC-SHA256 when `secret` is set.
    Webhook {
        url: String,
        secret: Option<String>,
    },
    Email(EmailSettings),
    Ntfy {
        server_url: String,
        topic: String,
        /// An access token for a protected topic.
        token: Option<String>,
        /// 1 (min) ..= 5 (urgent); `None`: by event.
        priority: Option<u8>,
    },
}

/// Reads settings out of a config map, collecting every problem with its field.
struct Reader<'a> {
    config: &'a BTreeMap<String, String>,
    errors: Vec<FieldError>,
}

impl Reader<'_> {
    fn optional(&self, key: &str) -> Option<String> {
        self.config
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn required(&mut self, key: &str) -> String {
        self.optional(key).unwrap_or_else(|| {
            self.errors
                .push(FieldError::new(format!("config.{key}"), "is required"));
            String::new()
        })
    }

    fn http_url(&mut self, key: &str, value: String) -> String {
        match Url::parse(&value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
            _ if value.is_empty() => {}
            _ => self.errors.push(FieldError::new(
                format!("config.{key}"),
                "must be an http:// or https:// URL",
            )),
        }
        value
    }

    fn required_url(&mut self, key: &str) -> String {
        let value = self.required(key);
        self.http_url(key, value)
    }

    fn fail(&mut self, key: &str, message: impl Into<String>) {
        self.errors
            .push(FieldError::new(format!("config.{key}"), message));
    }
}

impl Destination {
    /// Reads the settings of a channel of `kind`. Errors: `Invalid`, naming each setting
    /// that is missing or malformed (`config.webhook_url`, …), or `kind` when it is not one
    /// of [`CHANNEL_KINDS`].
    pub fn read(kind: &str, config: &BTreeMap<String, String>) -> Result<Self, CoreError> {
        let mut r = Reader {
            config,
            errors: Vec::new(),
        };
        let destination = match kind {
            "discord" => Self::Discord {
                webhook_url: r.required_url("webhook_url"),
            },
            "slack" => Self::Slack {
                webhook_url: r.required_url("webhook_url"),
            },
            "webhook" => Self::Webhook {
                url: r.required_url("url"),
                secret: r.optional("secret"),
            },
            "ntfy" => {
                let server = r
                    .optional("server_url")
                    .unwrap_or_else(|| DEFAULT_NTFY_SERVER.to_owned());
                let topic = r.required("topic");
                if !topic.is_empty()
                    && !topic
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    r.fail("topic", "letters, digits, '-' and '_' only");
                }
                let priority = r.optional("priority").and_then(|p| match p.parse::<u8>() {
                    Ok(p @ 1..=5) => Some(p),
                    _ => {
                        r.fail("priority", "1 (min) to 5 (urgent)");
                        None
                    }
                });
                Self::Ntfy {
                    server_url: r.http_url("server_url", server),
                    topic,
                    token: r.optional("token"),
                    priority,
                }
            }
            "email" => Self::Email(read_email(&mut r)),
            _ => {
                let message = format!("unknown kind; one of {}", CHANNEL_KINDS.join(", "));
                return Err(CoreError::invalid("kind", message));
            }
        };
        if r.errors.is_empty() {
            Ok(destination)
        } else {
            Err(CoreError::Invalid(r.errors))
        }
    }
}

fn read_email(r: &mut Reader<'_>) -> EmailSettings {
    let security = match r.optional("security").as_deref() {
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("tls") => SmtpSecurity::Tls,
        Some("none") => SmtpSecurity::None,
        Some(_) => {
            r.fail("security", "starttls, tls or none");
            SmtpSecurity::StartTls
        }
    };
    let default_port = match security {
        SmtpSecurity::Tls => 465,
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::None => 25,
    };
    let port = match r.optional("smtp_port").map(|p| p.parse::<u16>()) {
        None => default_port,
        Some(Ok(port)) if port != 0 => port,
        Some(_) => {
            r.fail("smtp_port", "a port number, 1..=65535");
            default_port
        }
    };
    let is_address = |a: &str| {
        a.split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains(|c| c != '.'))
            && !a.contains(char::is_whitespace)
    };
    let from = r.required("from");
    if !from.is_empty() && !is_address(&from) {
        r.fail("from", "an address like pulsar@example.com");
    }
    let to: Vec<String> = r
        .required("to")
        .split(',')
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    if to.is_empty() && r.optional("to").is_some() {
        r.fail("to", "is required");
    }
    if let Some(bad) = to.iter().find(|a| !is_address(a)) {
        r.fail(
            "to",
            format!("{bad:?} is not an address; separate several with commas"),
        );
    }
    let username = r.optional("username").unwrap_or_default();
    let password = r.optional("password").unwrap_or_default();
    if username.is_empty() != password.is_empty() {
        r.fail("password", "username and password go together");
    }
    let ca_pem = r.optional("ca_pem").unwrap_or_default();
    if !ca_pem.is_empty() {
        if ca_pem.len() > crate::validate::limits::TLS_CA_PEM_BYTES {
            r.fail(
                "ca_pem",
                format!(
                    "at most {} bytes",
                    crate::validate::limits::TLS_CA_PEM_BYTES
                ),
            );
        } else if let Err(problem) = crate::pem::count_certificates(&ca_pem) {
            r.fail("ca_pem", problem);
        }
    }
    EmailSettings {
        host: r.required("smtp_host"),
        port,
        security,
        username,
        password,
        from,
        to,
        ca_pem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn fields(kind: &str, pairs: &[(&str, &str)]) -> Vec<String> {
        match Destination::read(kind, &config(pairs)) {
            Ok(_) => Vec::new(),
            Err(e) => e.field_errors().iter().map(|e| e.field.clone()).collect(),
        }
    }

    #[test]
    fn each_kind_names_what_is_missing_or_malformed() {
        assert_eq!(fields("discord", &[]), ["config.webhook_url"]);
        assert_eq!(
            fields("slack", &[("webhook_url", "ftp://x")]),
            ["config.webhook_url"]
        );
        assert_eq!(
            fields("webhook", &[("url", "http://127.0.0.1:9/h")]),
            [""; 0]
        );
        assert_eq!(
            fields("ntfy", &[("topic", "a b"), ("priority", "9")]),
            ["config.topic", "config.priority"]
        );
        assert_eq!(
            fields(
                "email",
                &[("to", "ops@example.com, nope"), ("username", "u")]
            ),
            [
                "config.from",
                "config.to",
                "config.password",
                "config.smtp_host"
            ]
        );
        assert_eq!(fields("pager", &[]), ["kind"]);
    }

    #[test]
    fn defaults_fill_what_is_optional() {
        let ntfy = Destination::read("ntfy", &config(&[("topic", "ops")])).unwrap();
        assert_eq!(
            ntfy,
            Destination::Ntfy {
                server_url: DEFAULT_NTFY_SERVER.into(),
                topic: "ops".into(),
                token: None,
                priority: None,
            }
        );
        let email = config(&[
            ("smtp_host", "mail.example.com"),
            ("security", "tls"),
            ("from", "pulsar@example.com"),
            ("to", "a@example.com,b@example.com"),
        ]);
        let Destination::Email(email) = Destination::read("email", &email).unwrap() else {
            panic!("an e-mail channel");
        };
        assert_eq!((email.port, email.security), (465, SmtpSecurity::Tls));
        assert_eq!(email.to, ["a@example.com", "b@example.com"]);
    }

    #[test]
    fn an_e_mail_channel_may_trust_a_private_ca() {
        let with = |pem| {
            [
                ("smtp_host", "mail.internal"),
                ("from", "pulsar@example.com"),
                ("to", "ops@example.com"),
                ("ca_pem", pem),
            ]
        };
        let read = Destination::read("email", &config(&with(crate::pem::TEST_CA_PEM))).unwrap();
        let Destination::Email(email) = read else {
            panic!("an e-mail channel");
        };
        assert_eq!(email.ca_pem, crate::pem::TEST_CA_PEM.trim());
        assert_eq!(
            fields("email", &with("not a certificate")),
            ["config.ca_pem"]
        );
    }
}
