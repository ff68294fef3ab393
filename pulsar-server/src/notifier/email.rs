//! E-mail over SMTP with lettre: STARTTLS (required, not opportunistic), implicit TLS, or a
//! plain connection for a relay on the same network. The server's certificate is checked
//! against the public roots, plus the channel's own CA (`ca_pem`) for a private mail server.

use std::time::Instant;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use pulsar_core::{AttemptVerdict, EmailSettings, Notice, SmtpSecurity, channel_format};

use super::attempt::{SEND_TIMEOUT, Sent};

/// Sends `notice` as a plain-text e-mail to every recipient of the channel.
pub(super) async fn send(
    settings: &EmailSettings,
    notice: &Notice,
    link: Option<&str>,
    started: Instant,
) -> Sent {
    let outcome = deliver(settings, notice, link).await;
    let latency = started.elapsed();
    match outcome {
        Ok(answer) => Sent {
            verdict: AttemptVerdict::Delivered,
            detail: answer,
            latency,
        },
        Err((verdict, detail)) => Sent {
            verdict,
            detail,
            latency,
        },
    }
}

async fn deliver(
    settings: &EmailSettings,
    notice: &Notice,
    link: Option<&str>,
) -> Result<String, (AttemptVerdict, String)> {
    let refused = |what: String| (AttemptVerdict::Rejected, what);
    let mut message = Message::builder()
        .from(
            settings
                .from
                .parse()
                .map_err(|e| refused(format!("from: {e}")))?,
        )
        .subject(notice.title())
        // The same id on every attempt: mail clients show a repeat once.
        .message_id(Some(format!("<{}@pulsar>", notice.key)))
        .header(ContentType::TEXT_PLAIN);
    for to in &settings.to {
        message = message.to(to.parse().map_err(|e| refused(format!("to {to}: {e}")))?);
    }
    let message = message
        .body(channel_format::plain_text(notice, link))
        .map_err(|e| refused(format!("cannot build the message: {e}")))?;
    let transport = transport(settings).map_err(refused)?;
    match transport.send(message).await {
        Ok(response) => {
            let text = response.message().collect::<Vec<_>>().join(" ");
            Ok(format!("SMTP {}: {text}", response.code()))
        }
        // 5xx: the server refuses the message or the login, and would again.
        Err(error) if error.is_permanent() => {
            Err((AttemptVerdict::Rejected, format!("SMTP: {error}")))
        }
        Err(error) => Err((AttemptVerdict::Retry(None), format!("SMTP: {error}"))),
    }
}

fn transport(settings: &EmailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = || {
        let mut parameters = TlsParameters::builder(settings.host.clone());
        if !settings.ca_pem.is_empty() {
            let ca = Certificate::from_pem(settings.ca_pem.as_bytes())
                .map_err(|e| format!("ca_pem: {e}"))?;
            parameters = parameters.add_root_certificate(ca);
        }
        parameters
            .build_rustls()
            .map_err(|e| format!("TLS settings: {e}"))
    };
    let tls = match settings.security {
        SmtpSecurity::StartTls => Tls::Required(tls()?),
        SmtpSecurity::Tls => Tls::Wrapper(tls()?),
        SmtpSecurity::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
        .port(settings.port)
        .tls(tls)
        .timeout(Some(SEND_TIMEOUT));
    if !settings.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            settings.username.clone(),
            settings.password.clone(),
        ));
    }
    Ok(builder.build())
}
