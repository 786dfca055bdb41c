//! The `[digest]` section: when digests go out, what they hold, where their links point, and
//! each group's audience (who gets one). docs/DIGESTS.md explains every key.

use super::keys::{choice, settings, Raw, Setting};
use crate::core::digest::audience::Pattern;
use crate::core::digest::schedule::{Schedule, Weekday, Zone};
use crate::core::digest::Rules;
use crate::model::Slug;

choice!(Weekday {
    "mon" => Weekday::Mon, "tue" => Weekday::Tue, "wed" => Weekday::Wed, "thu" => Weekday::Thu,
    "fri" => Weekday::Fri, "sat" => Weekday::Sat, "sun" => Weekday::Sun,
});

/// The zone of `weekday` and `hour`: an IANA name such as "Europe/Berlin" (its rules read from
/// the system's zoneinfo, so daylight saving is followed and a tzdata update needs no rebuild),
/// "UTC", or a fixed offset "+01:00".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone(pub Zone);

impl Setting for TimeZone {
    fn read(raw: Raw<'_>) -> Result<Self, String> {
        let s = super::keys::text_of(raw)?.trim();
        load_zone(s, &zoneinfo_dirs()).map(TimeZone)
    }
}

/// Where zone files are looked for: `$TZDIR` first (as the C library does), then the usual places.
fn zoneinfo_dirs() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<std::path::PathBuf> = std::env::var_os("TZDIR")
        .map(Into::into)
        .into_iter()
        .collect();
    dirs.extend(["/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/etc/zoneinfo"].map(Into::into));
    dirs
}

fn load_zone(s: &str, dirs: &[std::path::PathBuf]) -> Result<Zone, String> {
    if s.eq_ignore_ascii_case("utc") || s == "Z" {
        return Ok(Zone::utc());
    }
    if s.starts_with(['+', '-']) {
        let secs = parse_offset(s)
            .ok_or_else(|| format!("{s:?}: expected an offset such as \"+01:00\" or \"-05:00\""))?;
        return Zone::fixed(s, secs).map_err(|e| e.to_string());
    }
    // A name, not a path: letters, digits and `_ + -`, parts joined by `/` (never `..`).
    let part_ok = |p: &str| {
        !p.is_empty()
            && !p.starts_with('.')
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+-.".contains(&b))
    };
    if !s.split('/').all(part_ok) {
        return Err(format!(
            "{s:?} is not a time zone name such as \"Europe/Berlin\", \"UTC\" or \"+01:00\""
        ));
    }
    for dir in dirs {
        if let Ok(bytes) = std::fs::read(dir.join(s)) {
            return Zone::from_tzif(s, &bytes).map_err(|e| format!("{}: {e}", dir.display()));
        }
    }
    let looked: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(format!(
        "{s:?}: no such time zone in {} (an IANA name such as \"Europe/Berlin\"; is tzdata installed?)",
        looked.join(", ")
    ))
}

fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 3600 + m * 60))
}

/// One audience entry of the file: `"SLUG:PATTERN"`, e.g. `"eng:*@corp.example"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceRule {
    pub group: Slug,
    pub pattern: Pattern,
}

impl Setting for AudienceRule {
    fn read(raw: Raw<'_>) -> Result<Self, String> {
        let s = super::keys::text_of(raw)?.trim();
        let (g, p) = s.split_once(':').ok_or_else(|| {
            format!("{s:?}: expected \"GROUP:PATTERN\", e.g. \"eng:*@corp.example\"")
        })?;
        let group = Slug::parse(g.trim()).map_err(|e| format!("{s:?}: {e}"))?;
        let pattern = Pattern::parse(p).map_err(|e| format!("{s:?}: {e}"))?;
        Ok(AudienceRule { group, pattern })
    }
}

settings! {
    section
    #[derive(Debug, Clone, PartialEq)]
    pub struct DigestConfig {
        /// Send digests from `outloud run` on the schedule below.
        enabled: bool = false,
        /// Day of the week a round goes out: "mon" … "sun".
        weekday: Weekday = Weekday::Mon,
        /// Hour of that day (0–23), in `time_zone`.
        hour: u32 = 9,
        /// The time zone of `weekday` and `hour`: "Europe/Berlin", "UTC" or "+01:00".
        time_zone: TimeZone = TimeZone(Zone::utc()),
        /// Days a period covers (7: weekly).
        period_days: u32 = 7,
        /// Public address of the web view, for links (default: http:// and `[web] bind`).
        base_url: Option<String> = None,
        /// Name of this network in the mail ("Corp outloud").
        site_name: String = "outloud".into(),
        /// Who runs it, said in the first digest and the footer.
        operator: String = "your administrators".into(),
        /// Threads shown in full, and further threads listed briefly.
        featured: usize = 5,
        more: usize = 5,
        /// A person who signed in or posted within this many days gets no digest that period.
        active_skip_days: i64 = 7,
        /// A non-user gets no more digests after this many in a row with no click and no reply,
        /// until they act (0: never stop).
        dormant_after: u32 = 4,
        /// Threads younger than this are left for the next round (the undo window).
        undo_window_minutes: i64 = 60,
        /// Reply addresses in a digest work this long.
        reply_token_days: i64 = 90,
        /// Who gets each group's digest: "GROUP:PATTERN" entries, an address or "*@domain".
        audiences: Vec<AudienceRule> = Vec::new(),
        /// Seconds between looks at the schedule in `outloud run`.
        poll_secs: u64 = 60,
    }
}

impl DigestConfig {
    pub fn schedule(&self) -> Schedule {
        Schedule {
            weekday: self.weekday,
            hour: self.hour.min(23),
            zone: self.time_zone.0.clone(),
            period_days: self.period_days.max(1),
        }
    }

    pub fn rules(&self) -> Rules {
        Rules {
            featured: self.featured,
            more: self.more,
            active_skip_secs: self.active_skip_days * 86_400,
            dormant_after: self.dormant_after,
            undo_window_secs: self.undo_window_minutes * 60,
            ..Rules::default()
        }
    }

    /// The `audiences` entries whose group is not `known`: `("eng:*@corp.example", "eng")`.
    /// `[digest]` names groups nowhere else.
    pub fn unknown_groups(&self, known: impl Fn(&str) -> bool) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for a in &self.audiences {
            let slug = a.group.as_str();
            if !known(slug) && !out.iter().any(|(_, s)| s == slug) {
                out.push((format!("{slug}:{}", a.pattern.as_str()), slug.to_string()));
            }
        }
        out
    }

    /// Where links point: `digest.base_url`, else the web view's `web.base_url`, else
    /// `http://BIND`; without a trailing slash.
    pub fn base_url(&self, web: &super::WebConfig) -> String {
        match self.base_url.as_ref().or(web.base_url.as_ref()) {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", web.bind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_and_audience_rules_parse() {
        assert_eq!(parse_offset("+01:00"), Some(3600));
        assert_eq!(parse_offset("-05:30"), Some(-19800));
        assert_eq!(parse_offset("01:00"), None);
        assert_eq!(parse_offset("+25:00"), None);
        let dirs = zoneinfo_dirs();
        assert_eq!(load_zone("UTC", &dirs), Ok(Zone::utc()));
        assert_eq!(load_zone("+01:00", &dirs).unwrap().offset_at(0), 3600);
        let e = load_zone("+25:00", &dirs).unwrap_err();
        assert!(e.contains("expected an offset"), "{e}");
        let e = load_zone("../etc/passwd", &dirs).unwrap_err();
        assert!(e.contains("not a time zone name"), "{e}");
        let e = load_zone("Europe/Berln", &dirs).unwrap_err();
        assert!(e.contains("no such time zone in"), "{e}");
        // A real zone from the system's zoneinfo (tzdata), with its daylight saving rules.
        if std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
            let z = load_zone("Europe/Berlin", &dirs).unwrap();
            assert_eq!(z.name(), "Europe/Berlin");
            assert_eq!(z.offset_at(1_797_206_400), 3600, "December: CET");
            assert_eq!(z.offset_at(1_814_000_000), 7200, "June 2027: CEST");
        }
        let r = AudienceRule::read(Raw::Env("eng:*@Corp.Example")).unwrap();
        assert_eq!(r.group.as_str(), "eng");
        assert_eq!(r.pattern.as_str(), "*@corp.example");
        assert!(AudienceRule::read(Raw::Env("eng")).is_err());
        assert!(AudienceRule::read(Raw::Env("eng:*@")).is_err());
    }
}
