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

/// The instant written `2026-12-01T02:00:00Z` or `2026-12-01T03:00+01:00` (RFC 3339; seconds
/// and their fraction optional, `Z` or an offset required), the inverse of [`rfc3339`].
pub fn parse_rfc3339(text: &str) -> Result<SystemTime, String> {
    let bad =
        || format!("{text:?} is not a time like 2026-12-01T02:00:00Z or 2026-12-01T03:00+01:00");
    let text = text.trim();
    let (date, rest) = text.split_once(['T', 't', ' ']).ok_or_else(bad)?;
    let number = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let mut ymd = date.split('-');
    let (year, month, day) = match (ymd.next(), ymd.next(), ymd.next(), ymd.next()) {
        (Some(y), Some(m), Some(d), None) if y.len() == 4 => (number(y)?, number(m)?, number(d)?),
        _ => return Err(bad()),
    };
    let (clock, offset_minutes) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = rest.rfind(['+', '-']).ok_or_else(bad)?;
        let (clock, offset) = rest.split_at(at);
        (clock, parse_utc_offset(offset).map_err(|_| bad())?)
    };
    let mut hms = clock.split(':');
    let (hour, minute, second) = match (hms.next(), hms.next(), hms.next(), hms.next()) {
        (Some(h), Some(m), None, None) => (number(h)?, number(m)?, 0.0),
        (Some(h), Some(m), Some(s), None) => {
            (number(h)?, number(m)?, s.parse::<f64>().map_err(|_| bad())?)
        }
        _ => return Err(bad()),
    };
    let days_in_month = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=12).contains(&month)
        || !(1..=days_in_month).contains(&day)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0.0..60.0).contains(&second)
    {
        return Err(bad());
    }
    // Howard Hinnant's days-from-civil, the inverse of `rfc3339`'s arithmetic.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let minutes = days * 1440 + hour * 60 + minute - i64::from(offset_minutes);
    let ms = minutes * 60_000 + (second * 1000.0).round() as i64;
    Ok(from_unix_ms(ms))
}

/// A UTC offset written `+01:00`, `-05:30`, `+0100` or `Z`, in minutes east of UTC.
pub fn parse_utc_offset(text: &str) -> Result<i32, String> {
    let bad = || format!("{text:?} is not a UTC offset like +01:00 or -05:30");
    let text = text.trim();
    if text == "Z" || text == "z" {
        return Ok(0);
    }
    let (sign, rest) = match text.split_at_checked(1) {
        Some(("+", rest)) => (1, rest),
        Some(("-", rest)) => (-1, rest),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| bad())?;
    let minutes: i32 = digits[2..].parse().map_err(|_| bad())?;
    if hours > 14 || minutes > 59 {
        return Err(bad());
    }
    Ok(sign * (hours * 60 + minutes))
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
    fn rfc3339_reads_back_what_it_writes_and_offsets_count() {
        for ms in [0, 951_782_400_123, 1_767_225_599_999, 1_795_996_800_000] {
            assert_eq!(
                parse_rfc3339(&rfc3339(from_unix_ms(ms))),
                Ok(from_unix_ms(ms))
            );
        }
        assert_eq!(
            parse_rfc3339("2026-11-30T03:00+01:00"),
            parse_rfc3339("2026-11-30T02:00:00Z")
        );
        assert_eq!(parse_utc_offset("-05:30"), Ok(-330));
        assert_eq!(parse_utc_offset("+0100"), Ok(60));
        for bad in [
            "2026-02-30T00:00Z",
            "2026-11-30T02:00",
            "yesterday",
            "2026-11-30T25:00Z",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
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
