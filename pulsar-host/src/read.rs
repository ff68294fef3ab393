//! Small-file reads into reused buffers, and the reasons a section is unavailable.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use pulsar_core::proto::v1::SectionUnavailable;

use crate::Section;

/// Reads a whole file into `buf` (cleared first) and returns it as text. procfs files report
/// size 0, so this reads until end of file rather than trusting metadata; invalid UTF-8
/// (a process may name itself with any bytes) is replaced, not rejected.
pub(crate) fn read_text<'b>(path: &Path, buf: &'b mut Vec<u8>) -> Result<Cow<'b, str>, String> {
    buf.clear();
    File::open(path)
        .and_then(|mut file| read_to_end(&mut file, buf))
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    Ok(text_of(buf))
}

/// The bytes as text: borrowed when valid UTF-8 (always, but for odd process names), with
/// invalid sequences replaced otherwise. `from_utf8` first, because its validation is several
/// times faster than the lossy decoder's, and this runs once per thread per sample.
pub(crate) fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Like `Read::read_to_end`, without std's metadata probe (an extra `statx` and `lseek` per
/// file that procfs cannot answer anyway).
fn read_to_end(file: &mut File, buf: &mut Vec<u8>) -> io::Result<()> {
    const CHUNK: usize = 4096;
    let mut len = buf.len();
    loop {
        if buf.len() < len + CHUNK {
            buf.resize(len + CHUNK, 0);
        }
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                buf.truncate(len);
                return Err(err);
            }
        }
    }
    buf.truncate(len);
    Ok(())
}

pub(crate) fn unavailable(section: Section, reason: impl Into<String>) -> SectionUnavailable {
    SectionUnavailable {
        section: section.name().to_owned(),
        reason: reason.into(),
    }
}

/// `<path>: <what is off>` for content a parser rejected.
pub(crate) fn malformed(path: &Path, what: impl std::fmt::Display) -> String {
    format!("unexpected content in {}: {what}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_replaces_invalid_bytes_only_when_there_are_some() {
        assert!(matches!(text_of(b"1 (ok) S"), Cow::Borrowed("1 (ok) S")));
        assert_eq!(text_of(b"1 (\xff) S"), "1 (\u{fffd}) S");
    }

    #[test]
    fn reads_files_larger_than_one_chunk_and_reports_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let content = "x".repeat(10_000);
        std::fs::write(&path, &content).unwrap();
        let mut buf = Vec::new();
        assert_eq!(read_text(&path, &mut buf).unwrap(), content);
        let err = read_text(&dir.path().join("missing"), &mut buf).unwrap_err();
        assert!(err.starts_with("cannot read "), "{err}");
        assert!(err.contains("missing"), "{err}");
    }
}
