//! When rounds are due: a weekday and hour in a time zone, every `period_days` days. The zone
//! is data ([`Zone`]: an IANA zone's rules, read from the system's zoneinfo by the config, or a
//! fixed offset), so the due hour stays at that hour of the wall clock across daylight saving
//! changes; a period that spans one is an hour shorter or longer. The round due at instant T
//! covers `[previous due, T)`; a round is keyed by its period's start, so running it again (a
//! restart, a second replica, `outloud digest send`) finds the digests already queued.

use chrono::DateTime;

use super::Period;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    fn index(self) -> i64 {
        self as i64
    }
}

/// A bad time zone: what was given and why it does not work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?}: {reason}")]
pub struct ZoneError {
    pub name: String,
    pub reason: String,
}

/// A time zone as data: its offsets over time (rules, transitions, the rule after the last
/// transition). Never reads a file: the config hands it the zone's TZif bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    name: String,
    tz: tz::TimeZone,
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: tz::TimeZone::utc(),
        }
    }

    /// A fixed offset from UTC, in seconds east.
    pub fn fixed(name: &str, offset_secs: i32) -> Result<Zone, ZoneError> {
        let tz = tz::TimeZone::fixed(offset_secs).map_err(|e| err(name, e))?;
        Ok(Zone {
            name: name.into(),
            tz,
        })
    }

    /// A zone from the bytes of its TZif file (RFC 8536), e.g. `/usr/share/zoneinfo/NAME`.
    pub fn from_tzif(name: &str, bytes: &[u8]) -> Result<Zone, ZoneError> {
        let tz = tz::TimeZone::from_tz_data(bytes).map_err(|e| err(name, e))?;
        Ok(Zone {
            name: name.into(),
            tz,
        })
    }

    /// A zone from a POSIX TZ rule such as `CET-1CEST,M3.5.0,M10.5.0/3` (tests; no file).
    pub fn from_posix_rule(rule: &str) -> Result<Zone, ZoneError> {
        let no_files = tz::timezone::TimeZoneSettings::new(&[], |_| Err("no files".into()));
        let tz = no_files.parse_posix_tz(rule).map_err(|e| err(rule, e))?;
        Ok(Zone {
            name: rule.into(),
            tz,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Seconds east of UTC in force at `t`.
    pub fn offset_at(&self, t: i64) -> i64 {
        (self.tz.find_local_time_type(t)).map_or(0, |l| i64::from(l.ut_offset()))
    }

    /// The instant at which the wall clock reads `local` (seconds since 1970-01-01 00:00 of the
    /// wall clock). Twice in a fall-back hour: the first. Never, in a spring-forward gap: the
    /// instant just as far past the gap's start, i.e. the hour after (02:30 → 03:30).
    pub fn to_utc(&self, local: i64) -> i64 {
        // Zones change offset at most a few times a year: a day either side has both offsets.
        let before = self.offset_at(local - 86_400);
        let after = self.offset_at(local + 86_400);
        let reads_local = |o: i64| self.offset_at(local - o) == o;
        let mut fits = [before, after].into_iter().filter(|&o| reads_local(o));
        let first = fits.next();
        match (first, fits.next()) {
            (Some(a), Some(b)) => local - a.max(b),
            (Some(a), None) => local - a,
            (None, _) => local - before,
        }
    }

    /// The wall clock at `t` (seconds since 1970-01-01 00:00 of the wall clock).
    pub fn local(&self, t: i64) -> i64 {
        t + self.offset_at(t)
    }
}

fn err(name: &str, e: impl std::fmt::Display) -> ZoneError {
    ZoneError {
        name: name.into(),
        reason: e.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub weekday: Weekday,
    /// Hour of the wall clock in `zone`.
    pub hour: u32,
    pub zone: Zone,
    /// At least 1.
    pub period_days: u32,
}

/// Monday 5 January 1970, as days since 1970-01-01.
const FIRST_MONDAY: i64 = 4;
const DAY: i64 = 86_400;

impl Schedule {
    /// A schedule in UTC.
    pub fn utc(weekday: Weekday, hour: u32, period_days: u32) -> Schedule {
        Schedule {
            weekday,
            hour,
            zone: Zone::utc(),
            period_days,
        }
    }

    /// The nominal length of a period (a daylight saving change makes one an hour off).
    pub fn period_secs(&self) -> i64 {
        self.days() * DAY
    }

    fn days(&self) -> i64 {
        i64::from(self.period_days.max(1))
    }

    /// The instant of the `k`th due time counted from the first on or after 5 January 1970.
    fn due(&self, k: i64) -> i64 {
        let day = FIRST_MONDAY + self.weekday.index() + k * self.days();
        self.zone.to_utc(day * DAY + i64::from(self.hour) * 3600)
    }

    /// The `k` of the latest due time at or before `now`.
    fn index_at(&self, now: i64) -> i64 {
        let today = self.zone.local(now).div_euclid(DAY);
        let mut k = (today - FIRST_MONDAY - self.weekday.index()).div_euclid(self.days());
        while self.due(k) > now {
            k -= 1;
        }
        while self.due(k + 1) <= now {
            k += 1;
        }
        k
    }

    /// The latest instant at or before `now` at which a round was due.
    pub fn last_due(&self, now: i64) -> i64 {
        self.due(self.index_at(now))
    }

    /// The next instant after `now` at which a round is due.
    pub fn next_due(&self, now: i64) -> i64 {
        self.due(self.index_at(now) + 1)
    }

    /// The period of the round last due at or before `now`.
    pub fn current(&self, now: i64) -> Period {
        let k = self.index_at(now);
        Period {
            start: self.due(k - 1),
            end: self.due(k),
        }
    }

    /// The period ending at `now` (`outloud digest send --now`): from the same wall-clock time
    /// `period_days` earlier.
    pub fn ending_at(&self, now: i64) -> Period {
        Period {
            start: self.zone.to_utc(self.zone.local(now) - self.period_secs()),
            end: now,
        }
    }

    /// "week of 7 December 2026" in the schedule's zone; other lengths name both ends.
    pub fn label(&self, p: Period) -> String {
        let day = |t: i64| {
            DateTime::from_timestamp(self.zone.local(t), 0)
                .map(|d| d.format("%-d %B %Y").to_string())
                .unwrap_or_default()
        };
        if self.period_days == 7 {
            format!("week of {}", day(p.start))
        } else {
            format!("{} to {}", day(p.start), day(p.end - 1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(weekday: Weekday, hour: u32, zone: Zone) -> Schedule {
        Schedule {
            weekday,
            hour,
            zone,
            period_days: 7,
        }
    }

    fn wall(zone: &Zone, t: i64) -> String {
        let d = DateTime::from_timestamp(zone.local(t), 0).unwrap();
        d.format("%a %-d %b %Y %H:%M").to_string()
    }

    fn berlin() -> Zone {
        Zone::from_posix_rule("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
    }

    #[test]
    fn due_times_fall_on_the_weekday_and_hour_in_the_zone() {
        // Monday 14 December 2026, 09:00 at +01:00 = 08:00 UTC.
        let mon_9_cet = 1_797_206_400 - 3600 + 9 * 3600;
        let s = weekly(Weekday::Mon, 9, Zone::fixed("+01:00", 3600).unwrap());
        assert_eq!(s.last_due(mon_9_cet), mon_9_cet);
        assert_eq!(s.last_due(mon_9_cet - 1), mon_9_cet - 7 * DAY);
        assert_eq!(s.next_due(mon_9_cet), mon_9_cet + 7 * DAY);
        let p = s.current(mon_9_cet + 5);
        assert_eq!((p.start, p.end), (mon_9_cet - 7 * DAY, mon_9_cet));
        assert_eq!(s.label(p), "week of 7 December 2026");
        // Friday 17:00 UTC.
        let fri = Schedule::utc(Weekday::Fri, 17, 7);
        let due = fri.last_due(mon_9_cet);
        let d = DateTime::from_timestamp(due, 0).unwrap();
        assert_eq!(d.format("%a %H:%M").to_string(), "Fri 17:00");
        // Daily.
        let daily = Schedule::utc(Weekday::Fri, 17, 1);
        let d = DateTime::from_timestamp(daily.last_due(mon_9_cet), 0).unwrap();
        assert_eq!(d.format("%a %H:%M").to_string(), "Sun 17:00");
    }

    #[test]
    fn the_round_stays_at_8_local_across_daylight_saving_changes() {
        let z = berlin();
        let s = weekly(Weekday::Mon, 8, z.clone());
        // Summer time starts Sunday 28 March 2027 (02:00 CET → 03:00 CEST).
        let mon_22_mar = 1_805_698_800; // 08:00 CET = 07:00 UTC
        let mon_29_mar = mon_22_mar + 7 * DAY - 3600; // 08:00 CEST = 06:00 UTC
        assert_eq!(wall(&z, mon_22_mar), "Mon 22 Mar 2027 08:00");
        assert_eq!(wall(&z, mon_29_mar), "Mon 29 Mar 2027 08:00");
        assert_eq!(s.next_due(mon_22_mar), mon_29_mar);
        assert_eq!(s.last_due(mon_29_mar - 1), mon_22_mar);
        assert_eq!(s.last_due(mon_29_mar), mon_29_mar);
        let p = s.current(mon_29_mar + 60);
        assert_eq!((p.start, p.end), (mon_22_mar, mon_29_mar));
        assert_eq!(
            p.end - p.start,
            7 * DAY - 3600,
            "the week of the change is an hour short"
        );
        assert_eq!(s.label(p), "week of 22 March 2027");
        // The next week is whole again, and follows on without a gap.
        let next = s.current(mon_29_mar + 7 * DAY);
        assert_eq!((next.start, next.end), (mon_29_mar, mon_29_mar + 7 * DAY));

        // Winter time starts Sunday 31 October 2027 (03:00 CEST → 02:00 CET).
        let mon_25_oct = 1_824_444_000; // 08:00 CEST = 06:00 UTC
        let mon_1_nov = mon_25_oct + 7 * DAY + 3600; // 08:00 CET = 07:00 UTC
        assert_eq!(wall(&z, mon_25_oct), "Mon 25 Oct 2027 08:00");
        assert_eq!(wall(&z, mon_1_nov), "Mon 1 Nov 2027 08:00");
        assert_eq!(s.next_due(mon_25_oct + 1), mon_1_nov);
        let p = s.current(mon_1_nov);
        assert_eq!((p.start, p.end), (mon_25_oct, mon_1_nov));
        assert_eq!(p.end - p.start, 7 * DAY + 3600, "and this one an hour long");
        // 07:30 UTC on 1 November is already past the 08:00 round; 06:30 UTC (07:30 CET) is not.
        assert_eq!(s.last_due(mon_1_nov - 1800), mon_25_oct);
    }

    #[test]
    fn daily_rounds_in_gaps_and_overlaps() {
        let z = berlin();
        // 02:00 does not exist on 28 March 2027 in Berlin: that round goes at 03:00 CEST.
        let s = Schedule {
            period_days: 1,
            ..weekly(Weekday::Mon, 2, z.clone())
        };
        let sun_28_mar_noon = 1_805_698_800 + 6 * DAY - 7 * 3600 + 12 * 3600 - 3600;
        assert_eq!(
            wall(&z, s.last_due(sun_28_mar_noon)),
            "Sun 28 Mar 2027 03:00"
        );
        let p = s.current(sun_28_mar_noon);
        assert_eq!(wall(&z, p.start), "Sat 27 Mar 2027 02:00");
        // 02:00 happens twice on 31 October 2027: the first one.
        let sun_31_oct_noon = 1_824_444_000 + 6 * DAY - 6 * 3600 + 11 * 3600;
        let due = s.last_due(sun_31_oct_noon);
        assert_eq!(wall(&z, due), "Sun 31 Oct 2027 02:00");
        assert_eq!(z.offset_at(due), 7200, "still summer time");
        // `--now`: the same wall-clock time a period earlier.
        let p = s.ending_at(sun_31_oct_noon);
        assert_eq!(wall(&z, p.start), "Sat 30 Oct 2027 12:00");
        assert_eq!(p.end - p.start, DAY + 3600);
    }
}
