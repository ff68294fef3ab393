//! `/etc/passwd`, for the names of process owners.

/// `(uid, name)` of every well-formed entry; comments and malformed lines are skipped.
pub(crate) fn parse_passwd(text: &str) -> impl Iterator<Item = (u32, &str)> {
    text.lines().filter_map(|line| {
        if line.starts_with('#') {
            return None;
        }
        let mut fields = line.split(':');
        let name = fields.next().filter(|n| !n.is_empty())?;
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        Some((uid, name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_and_uids_including_system_accounts() {
        let text = "\
root:x:0:0:root:/root:/bin/bash
# a comment
mysql:x:107:110:MySQL Server,,,:/nonexistent:/bin/false
broken line
:x:5:5::/:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
";
        let users: Vec<_> = parse_passwd(text).collect();
        assert_eq!(users, [(0, "root"), (107, "mysql"), (65534, "nobody")]);
    }
}
