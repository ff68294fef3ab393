//! User names for process owners, through sysinfo's user list.

use std::time::{Duration, Instant};

/// How long an unknown uid keeps the list from being re-read: a burst of processes of a
/// user created after start-up costs one refresh, not one per sample.
const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(crate) struct UserNames {
    users: Option<sysinfo::Users>,
    refreshed_at: Option<Instant>,
}

impl std::fmt::Debug for UserNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserNames")
            .field("refreshed_at", &self.refreshed_at)
            .finish_non_exhaustive()
    }
}

impl UserNames {
    /// The user's name, or the uid as a number when the user database does not know it (as
    /// in a container reading its host's processes).
    pub(crate) fn name(&mut self, uid: u32) -> String {
        if let Some(name) = self.lookup(uid) {
            return name;
        }
        let stale = self
            .refreshed_at
            .is_none_or(|at| at.elapsed() >= REFRESH_AT_MOST_EVERY);
        if stale {
            self.users = sysinfo::Users::new_with_refreshed_list().ok();
            self.refreshed_at = Some(Instant::now());
            if let Some(name) = self.lookup(uid) {
                return name;
            }
        }
        uid.to_string()
    }

    fn lookup(&self, uid: u32) -> Option<String> {
        let uid = sysinfo::Uid::try_from(usize::try_from(uid).ok()?).ok()?;
        let user = self.users.as_ref()?.get_user_by_id(&uid)?;
        Some(user.name().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_has_a_name_and_unknown_uids_read_as_numbers() {
        let mut names = UserNames::default();
        assert_eq!(names.name(0), "root");
        assert_eq!(names.name(4_000_000_000), "4000000000");
    }
}
