//! `/proc/loadavg`.

use super::Malformed;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct LoadAvg {
    pub(crate) one: f64,
    pub(crate) five: f64,
    pub(crate) fifteen: f64,
}

/// `"1.66 0.88 0.42 3/149 15116"`: the three averages; the rest is not needed.
pub(crate) fn parse_loadavg(text: &str) -> Result<LoadAvg, Malformed> {
    let mut words = text.split_ascii_whitespace();
    let mut next = || {
        words
            .next()
            .and_then(|w| w.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or(Malformed("expected three load averages"))
    };
    Ok(LoadAvg {
        one: next()?,
        five: next()?,
        fifteen: next()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_averages() {
        let load = parse_loadavg("1.66 0.88 0.42 3/149 15116\n").unwrap();
        assert_eq!((load.one, load.five, load.fifteen), (1.66, 0.88, 0.42));
        assert!(parse_loadavg("1.0 2.0").is_err());
        assert!(parse_loadavg("").is_err());
        assert!(parse_loadavg("inf 1 1").is_err());
    }
}
