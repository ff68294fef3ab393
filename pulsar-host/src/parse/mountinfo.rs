//! `/proc/<pid>/mountinfo`.

use std::borrow::Cow;

/// One mount, with the kernel's octal escapes (`\040` for a space) undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MountEntry<'a> {
    pub(crate) mount_point: Cow<'a, str>,
    pub(crate) fs_type: &'a str,
    pub(crate) source: Cow<'a, str>,
}

/// One entry per well-formed line, in mount order (a later mount on the same point hides the
/// earlier one). Format: `id parent major:minor root mount_point options [optional...] - type
/// source super_options`.
pub(crate) fn parse_mountinfo(text: &str) -> impl Iterator<Item = MountEntry<'_>> {
    text.lines().filter_map(|line| {
        let (before, after) = line.split_once(" - ")?;
        let mut before = before.split(' ');
        let mount_point = before.nth(4)?;
        let mut after = after.split(' ');
        let fs_type = after.next()?;
        let source = after.next()?;
        if fs_type.is_empty() || !mount_point.starts_with('/') {
            return None;
        }
        Some(MountEntry {
            mount_point: unescape(mount_point),
            fs_type,
            source: unescape(source),
        })
    })
}

/// Undoes the `\ooo` escapes the kernel writes for space, tab, newline and backslash.
fn unescape(field: &str) -> Cow<'_, str> {
    if !field.contains('\\') {
        return Cow::Borrowed(field);
    }
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|digits| {
            digits.iter().all(|d| (b'0'..=b'7').contains(d)).then(|| {
                digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'))
            })
        });
        match (bytes[i], octal.and_then(|v| u8::try_from(v).ok())) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mount_point_type_and_source() {
        let text = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime shared:1 master:2 - ext4 /dev/vda rw,discard
28 27 0:25 / /mnt/My\\040Disk ro,nosuid - vfat /dev/sdb1 ro
garbage line
";
        let mounts: Vec<_> = parse_mountinfo(text).collect();
        assert_eq!(mounts.len(), 3);
        assert_eq!(mounts[0].fs_type, "proc");
        assert_eq!(mounts[1].mount_point, "/");
        assert_eq!(mounts[1].fs_type, "ext4");
        assert_eq!(mounts[1].source, "/dev/vda");
        assert_eq!(mounts[2].mount_point, "/mnt/My Disk");
    }

    #[test]
    fn unescapes_octal_and_keeps_stray_backslashes() {
        assert_eq!(unescape("a\\011b\\134c\\012"), "a\tb\\c\n");
        assert_eq!(unescape("trailing\\"), "trailing\\");
        assert_eq!(unescape("not\\9xy"), "not\\9xy");
        assert_eq!(unescape("big\\777"), "big\\777");
    }
}
