//! Lengths and points of time as people and APIs write them: Go durations (`8760h0m0s`,
//! `90m`, `1h30m` — how kubeadm's configuration files, the Kubernetes API and
//! kube-controller-manager's flags spell a length of time), kubeadm's short residual
//! times (`364d`), and times in UTC (`2026-12-02 10:00:00 UTC`, RFC 3339).

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

/// A non-negative length of time, read and written in Go's `time.Duration` syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration(Duration);

impl GoDuration {
    /// The duration.
    pub fn get(self) -> Duration {
        self.0
    }
}

impl From<Duration> for GoDuration {
    fn from(d: Duration) -> GoDuration {
        GoDuration(d)
    }
}

impl From<GoDuration> for Duration {
    fn from(d: GoDuration) -> Duration {
        d.0
    }
}

/// Seconds in each unit Go accepts.
fn unit_seconds(unit: &str) -> Option<f64> {
    Some(match unit {
        "h" => 3600.0,
        "m" => 60.0,
        "s" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" | "μs" => 1e-6,
        "ns" => 1e-9,
        _ => return None,
    })
}

fn parse(s: &str) -> Option<Duration> {
    let rest = s.trim();
    let rest = rest.strip_prefix('+').unwrap_or(rest);
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut rest = rest;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (num, tail) = rest.split_at(num_end);
        if num.is_empty() || num == "." {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        let unit_end = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        total += value * unit_seconds(unit)?;
        rest = tail;
    }
    // try_: a duration beyond u64 seconds ("99999999999999999999h") is refused, not a panic.
    Duration::try_from_secs_f64(total).ok()
}

impl FromStr for GoDuration {
    type Err = Error;

    /// Go's syntax: one or more `<number><unit>` (units `h`, `m`, `s`, `ms`, `us`, `ns`),
    /// decimals allowed (`1.5h`); `0` alone. Negative durations are refused.
    fn from_str(s: &str) -> Result<GoDuration> {
        parse(s)
            .map(GoDuration)
            .ok_or_else(|| Error::InvalidDuration {
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for GoDuration {
    /// As Go's `Duration.String()` writes whole and fractional seconds: `8760h0m0s`,
    /// `1m30s`, `0.5s`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
        if h > 0 {
            write!(f, "{h}h{m}m")?;
        } else if m > 0 {
            write!(f, "{m}m")?;
        }
        let nanos = self.0.subsec_nanos();
        if nanos == 0 {
            write!(f, "{s}s")
        } else {
            let fraction = format!("{nanos:09}");
            write!(f, "{s}.{}s", fraction.trim_end_matches('0'))
        }
    }
}

/// Formats a duration as kubeadm does (`364d`, `9y`, `5h`).
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s >= 2 * 365 * 86400 => format!("{}y", s / (365 * 86400)),
        s if s >= 86400 => format!("{}d", s / 86400),
        s if s >= 3600 => format!("{}h", s / 3600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Formats a time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn human_time(t: SystemTime) -> String {
    utc(t, " ", " UTC")
}

/// RFC 3339 in UTC, seconds precision (`2026-11-26T09:44:57Z`), as the Kubernetes API
/// writes times.
pub fn rfc3339(t: SystemTime) -> String {
    utc(t, "T", "Z")
}

/// `t` in UTC as `YYYY-MM-DD<between>HH:MM:SS<zone>`, seconds precision.
fn utc(t: SystemTime, between: &str, zone: &str) -> String {
    let t = time::OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02}{between}{:02}:{:02}:{:02}{zone}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<Duration> {
        s.parse::<GoDuration>().ok().map(GoDuration::get)
    }

    #[test]
    fn go_durations_parse() {
        assert_eq!(d("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(d("8760h0m0s"), Some(Duration::from_secs(8760 * 3600)));
        assert_eq!(d("90s"), Some(Duration::from_secs(90)));
        assert_eq!(d("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(d("0"), Some(Duration::ZERO));
        for bad in ["ten days", "", "5", "h", "1x", "-1h", ".h"] {
            assert_eq!(d(bad), None, "{bad:?}");
        }
        // Found by fuzzing: a value past u64 seconds panicked in Duration::from_secs_f64.
        assert_eq!(d("99999999999999999999h"), None);
        let err = "ten days".parse::<GoDuration>().unwrap_err();
        assert!(err.to_string().contains("8760h0m0s"), "{err}");
    }

    #[test]
    fn go_durations_print_as_go_does() {
        for (secs, text) in [
            (8760 * 3600, "8760h0m0s"),
            (90, "1m30s"),
            (3600, "1h0m0s"),
            (59, "59s"),
            (0, "0s"),
        ] {
            let g = GoDuration::from(Duration::from_secs(secs));
            assert_eq!(g.to_string(), text);
            assert_eq!(text.parse::<GoDuration>().unwrap(), g);
        }
        assert_eq!(
            GoDuration::from(Duration::from_millis(1500)).to_string(),
            "1.5s"
        );
    }
}
