//! Wall-clock conversions: the schema carries timestamps as unix milliseconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the unix epoch (negative before it), saturating at the i64 range.
pub fn unix_ms(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// The instant `ms` milliseconds after (or before, if negative) the unix epoch.
pub fn from_unix_ms(ms: i64) -> SystemTime {
    let magnitude = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

/// `2026-03-01T12:34:56.789Z`: the instant in UTC, as JSON documents and chat services
/// expect it. The date arithmetic is Howard Hinnant's civil-from-days.
pub fn rfc3339(at: SystemTime) -> String {
    let ms = unix_ms(at);
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// A duration the way a person reads it in a message: `850 µs`, `12 ms`, `2.1 s`, `3 min`,
/// `2 h 5 min`, `3 d 4 h`.
pub fn human_duration(duration: Duration) -> String {
    let us = duration.as_micros();
    let secs = duration.as_secs();
    match secs {
        _ if us < 1000 => format!("{us} µs"),
        0 if us < 10_000 => format!("{:.1} ms", us as f64 / 1000.0),
        0 => format!("{} ms", duration.as_millis()),
        1..60 => format!("{:.1} s", duration.as_secs_f64()),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h {} min", secs / 3600, secs / 60 % 60),
        _ => format!("{} d {} h", secs / 86_400, secs / 3600 % 24),
    }
}

/// A duration as people write it in flags and config files: `250ms`, `5s`, `1.5s`, `2m`,
/// `1h`, `7d`; a bare number is seconds. Zero, negative and unreadable values are refused
/// with a message that says what is expected.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration like 500ms, 5s, 1m or 7d"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        other => return Err(format!("unknown unit {other:?} (use ms, s, m, h or d)")),
    };
    // About 31 years: far beyond any retention, far below Duration's overflow.
    if !(seconds > 0.0 && seconds < 1e9) {
        return Err(format!("{raw:?} must be above zero"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        let at = |ms: i64| from_unix_ms(ms);
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(at(951_782_400_123)), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(at(1_767_225_599_999)), "2025-12-31T23:59:59.999Z");
    }

    #[test]
    fn durations_read_as_people_write_them() {
        let cases = [
            (Duration::from_micros(850), "850 µs"),
            (Duration::from_micros(4_250), "4.2 ms"),
            (Duration::from_millis(12), "12 ms"),
            (Duration::from_millis(2_100), "2.1 s"),
            (Duration::from_secs(185), "3 min"),
            (Duration::from_secs(7_500), "2 h 5 min"),
            (Duration::from_secs(273_600), "3 d 4 h"),
        ];
        for (duration, text) in cases {
            assert_eq!(human_duration(duration), text);
        }
    }

    #[test]
    fn durations_read_every_unit_and_refuse_nonsense() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in ["", "0s", "-1s", "5 weeks", "s", "1e99d", "NaN"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn round_trips_both_sides_of_the_epoch() {
        for ms in [0, 1, 1_700_000_000_123, -5_000] {
            assert_eq!(unix_ms(from_unix_ms(ms)), ms);
        }
    }
}
