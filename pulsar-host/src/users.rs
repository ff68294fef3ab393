//! User names for process owners, from the measured root's `/etc/passwd`.
//!
//! sysinfo's user list leaves out accounts whose shell is `/bin/false` (most daemons: mysql,
//! postgres on some systems), which are exactly the owners of the busiest processes, so the
//! file is read directly. Users known only through NSS (LDAP, sssd) show as their uid.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::parse::parse_passwd;
use crate::read::read_text;

/// How long an unknown uid keeps the file from being re-read: a burst of processes of a
/// user created after start-up costs one re-read, not one per sample.
const REREAD_AT_MOST_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub(crate) struct UserNames {
    by_uid: HashMap<u32, String>,
    read_at: Option<Instant>,
}

impl UserNames {
    /// The user's name, or the uid as a number when `passwd` does not know it.
    pub(crate) fn name(&mut self, passwd: &Path, uid: u32, buf: &mut Vec<u8>) -> String {
        if let Some(name) = self.by_uid.get(&uid) {
            return name.clone();
        }
        let stale = self
            .read_at
            .is_none_or(|at| at.elapsed() >= REREAD_AT_MOST_EVERY);
        if stale {
            self.read_at = Some(Instant::now());
            if let Ok(text) = read_text(passwd, buf) {
                self.by_uid.clear();
                for (uid, name) in parse_passwd(&text) {
                    // The first entry for a uid is the one `ls` and `ps` show.
                    self.by_uid.entry(uid).or_insert_with(|| name.to_owned());
                }
            }
            if let Some(name) = self.by_uid.get(&uid) {
                return name.clone();
            }
        }
        uid.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_file_and_unknown_uids_read_as_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        std::fs::write(
            &passwd,
            "root:x:0:0::/root:/bin/sh\nmysql:x:107:110::/:/bin/false\n",
        )
        .unwrap();
        let mut names = UserNames::default();
        let mut buf = Vec::new();
        assert_eq!(names.name(&passwd, 107, &mut buf), "mysql");
        assert_eq!(names.name(&passwd, 4_000_000_000, &mut buf), "4000000000");
        // A user added later is found only after the re-read pause; until then, its number.
        std::fs::write(&passwd, "late:x:1001:1001::/:/bin/sh\n").unwrap();
        assert_eq!(names.name(&passwd, 1001, &mut buf), "1001");
        assert_eq!(names.name(&passwd, 0, &mut buf), "root");
        assert_eq!(names.name(&dir.path().join("missing"), 5, &mut buf), "5");
    }
}
