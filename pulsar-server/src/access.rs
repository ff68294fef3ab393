//! Who may call what. With an admin token set, every write RPC needs
//! `Authorization: Bearer <token>`; with private reads, every read does too (the WebSocket
//! and `/metrics` take it as well, the WebSocket also as `?token=` since browsers cannot
//! set its headers). Without a token the API is open, which the server allows on loopback
//! only unless told otherwise.

use axum::http::{HeaderMap, header};

/// The access rules of one server.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub admin_token: Option<String>,
    /// Reads need the token too.
    pub private_reads: bool,
}

/// Why a call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No token was presented.
    Missing,
    /// A token was presented, and it is not the admin token.
    Wrong,
}

impl Refusal {
    /// What to tell the caller.
    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => "this call needs the admin token: Authorization: Bearer <token>",
            Self::Wrong => "the token is wrong",
        }
    }
}

/// Whether an RPC changes something. Reads are named `Get…` and `List…`; anything else
/// (create, update, delete, pause, check now, send a test) writes.
pub(crate) fn is_write(method: &str) -> bool {
    !(method.starts_with("Get") || method.starts_with("List"))
}

impl Access {
    /// Whether a call that `writes` (or reads) may go on with `headers`.
    pub(crate) fn check(&self, headers: &HeaderMap, writes: bool) -> Result<(), Refusal> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        self.check_token(bearer, writes)
    }

    /// As [`check`](Self::check), with the token as presented (if any).
    pub(crate) fn check_token(&self, presented: Option<&str>, writes: bool) -> Result<(), Refusal> {
        let Some(token) = &self.admin_token else {
            return Ok(());
        };
        if !writes && !self.private_reads {
            return Ok(());
        }
        match presented {
            Some(presented) if same_secret(presented.trim(), token) => Ok(()),
            Some(_) => Err(Refusal::Wrong),
            None => Err(Refusal::Missing),
        }
    }
}

/// Compares in time that depends on the lengths only, not on where the first difference is.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        headers
    }

    #[test]
    fn writes_need_the_token_and_reads_only_when_private() {
        let open = Access::default();
        assert!(open.check(&HeaderMap::new(), true).is_ok());

        let guarded = Access {
            admin_token: Some("s3cret".into()),
            private_reads: false,
        };
        assert!(guarded.check(&HeaderMap::new(), false).is_ok());
        assert_eq!(
            guarded.check(&HeaderMap::new(), true),
            Err(Refusal::Missing)
        );
        assert!(guarded.check(&bearer("wrong!"), true).is_err());
        assert!(guarded.check(&bearer("s3cre"), true).is_err());
        assert!(guarded.check(&bearer("s3cret"), true).is_ok());

        let private = Access {
            private_reads: true,
            ..guarded
        };
        assert!(private.check(&HeaderMap::new(), false).is_err());
        assert!(private.check(&bearer("s3cret"), false).is_ok());
    }

    #[test]
    fn reads_are_get_and_list() {
        for read in ["GetMonitor", "ListResults", "GetOverview", "ListDeliveries"] {
            assert!(!is_write(read), "{read}");
        }
        for write in [
            "CreateMonitor",
            "DeleteChannel",
            "CheckNow",
            "TestChannel",
            "SetChannelRouting",
            "PauseMonitor",
        ] {
            assert!(is_write(write), "{write}");
        }
    }
}
