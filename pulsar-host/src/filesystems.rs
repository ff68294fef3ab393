//! Filesystems section: mounts from `mountinfo`, sizes and inodes from `statvfs`.

use std::path::{Path, PathBuf};

use pulsar_core::proto::v1::FilesystemStats;

use crate::config::Config;
use crate::parse::parse_mountinfo;
use crate::read::read_text;

pub(crate) fn collect(config: &Config, buf: &mut Vec<u8>) -> Result<Vec<FilesystemStats>, String> {
    let measured_elsewhere = config.root_fs != Path::new("/");
    // The host's mounts are those of its init (PID 1 of the mounted procfs); our own
    // mount namespace is the right one when measuring the tree we run in.
    let path = config
        .proc_root
        .join(if measured_elsewhere { "1" } else { "self" })
        .join("mountinfo");
    let text = read_text(&path, buf)?;
    let mut mounts: Vec<FilesystemStats> = Vec::new();
    for entry in parse_mountinfo(&text) {
        if config.excludes_mount(entry.fs_type, &entry.mount_point) {
            continue;
        }
        let target = if measured_elsewhere {
            under_root(&config.root_fs, &entry.mount_point)
        } else {
            PathBuf::from(entry.mount_point.as_ref())
        };
        // A mount that cannot be measured (stale network mount, no permission) or that has
        // no blocks at all is left out rather than failing the section.
        let Some(stats) = measure(&target).filter(|s| s.size_bytes > 0) else {
            continue;
        };
        let stats = FilesystemStats {
            mount_point: entry.mount_point.into_owned(),
            device: entry.source.into_owned(),
            fs_type: entry.fs_type.to_owned(),
            ..stats
        };
        // A later mount on the same point hides the earlier one.
        match mounts
            .iter_mut()
            .find(|m| m.mount_point == stats.mount_point)
        {
            Some(hidden) => *hidden = stats,
            None => mounts.push(stats),
        }
    }
    Ok(mounts)
}

fn under_root(root: &Path, mount_point: &str) -> PathBuf {
    root.join(mount_point.trim_start_matches('/'))
}

#[cfg(unix)]
fn measure(path: &Path) -> Option<FilesystemStats> {
    let vfs = rustix::fs::statvfs(path).ok()?;
    let block = vfs.f_frsize;
    let size_bytes = vfs.f_blocks.saturating_mul(block);
    let free_bytes = vfs.f_bfree.saturating_mul(block);
    Some(FilesystemStats {
        size_bytes,
        used_bytes: size_bytes.saturating_sub(free_bytes),
        available_bytes: vfs.f_bavail.saturating_mul(block),
        inodes_total: vfs.f_files,
        inodes_used: vfs.f_files.saturating_sub(vfs.f_ffree),
        inodes_free: vfs.f_ffree,
        ..FilesystemStats::default()
    })
}

#[cfg(not(unix))]
fn measure(_path: &Path) -> Option<FilesystemStats> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_are_joined_below_the_root() {
        assert_eq!(under_root(Path::new("/host"), "/"), Path::new("/host"));
        assert_eq!(
            under_root(Path::new("/host"), "/var/log"),
            Path::new("/host/var/log")
        );
    }

    #[cfg(unix)]
    #[test]
    fn measures_a_real_directory() {
        let stats = measure(Path::new("/")).unwrap();
        assert!(stats.size_bytes > 0);
        assert!(stats.used_bytes <= stats.size_bytes);
        assert!(stats.available_bytes <= stats.size_bytes);
        assert!(measure(Path::new("/no/such/mount/point")).is_none());
    }
}
