//! Dates as mailers write them.
//!
//! RFC 5322 dates with their obsolete forms (two- and three-digit years, named
//! zones, military zones, comments, missing seconds), asctime (`Wed Jun 30
//! 21:49:08 1993`), ISO 8601, and `06:09:22 PM EDT`. A date that names an
//! impossible day or time, or a zone we cannot place, is an error with a
//! reason, never a guess: "unknown" is better than 1970 or a wrong hour.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};

/// A parsed date, and whether its zone had to be assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDate {
    /// The instant, in the zone the sender wrote.
    pub date: DateTime<FixedOffset>,
    /// True when the value named no zone at all and UTC was assumed.
    pub zone_assumed: bool,
}

/// Why a date could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// No month, day, year or time could be found.
    #[error("no recognisable date in {0:?}")]
    Unrecognised(String),
    /// The parts were found but name no real instant (day 32, hour 25, ...).
    #[error("impossible date {0:?}")]
    Impossible(String),
    /// The date is the Unix epoch or near it: a placeholder, not a date.
    #[error("placeholder date {0:?} (the Unix epoch)")]
    Placeholder(String),
    /// The zone name is not one we can place on the clock.
    #[error("unknown time zone {zone:?} in {value:?}")]
    UnknownZone {
        /// The zone as written.
        zone: String,
        /// The whole value.
        value: String,
    },
}

/// Parses a `Date:` header value (or the date part of a `Received:` header).
pub fn parse(value: &str) -> Result<ParsedDate, DateError> {
    let cleaned = strip_comments(value);
    let unrecognised = || DateError::Unrecognised(value.trim().to_string());
    let mut tokens: Vec<String> = Vec::new();
    for word in cleaned.split(|c: char| c.is_whitespace() || c == ',') {
        if word.is_empty() {
            continue;
        }
        // ISO 8601: 2019-03-12T10:00:00+01:00 or 2019-03-12 10:00:00.
        if let Some((d, t)) = word.split_once(['T', 't']).filter(|(d, _)| is_iso_date(d)) {
            tokens.push(d.to_string());
            split_time_zone(t, &mut tokens);
        } else if word.contains(':') && word.starts_with(|c: char| c.is_ascii_digit()) {
            split_time_zone(word, &mut tokens);
        } else if is_rfc850_date(word) {
            // RFC 850: 4-Jul-01
            tokens.extend(word.split('-').map(str::to_string));
        } else {
            tokens.push(word.to_string());
        }
    }

    let (mut year, mut month, mut day) = (None::<i32>, None::<u32>, None::<u32>);
    let mut time: Option<(u32, u32, u32)> = None;
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let mut unknown_zone: Option<String> = None;
    let mut small_numbers: Vec<&str> = Vec::new();

    for tok in &tokens {
        let lower = tok.to_ascii_lowercase();
        let lower = lower.trim_end_matches('.');
        if is_iso_date(tok) {
            let mut parts = tok.split('-');
            year = parts.next().and_then(|p| p.parse().ok());
            month = parts.next().and_then(|p| p.parse().ok());
            day = parts.next().and_then(|p| p.parse().ok());
        } else if tok.contains(':') && tok.starts_with(|c: char| c.is_ascii_digit()) {
            let mut parts = tok.split(':');
            let mut num = || -> Option<u32> {
                parts
                    .next()
                    .map(|p| p.split('.').next().unwrap_or(""))
                    .and_then(|p| p.parse().ok())
            };
            let h = num().ok_or_else(unrecognised)?;
            let m = num().ok_or_else(unrecognised)?;
            let s = num().unwrap_or(0);
            time = Some((h, m, s));
        } else if let Some(m) = month_number(lower) {
            if month.is_none() {
                month = Some(m);
            }
        } else if is_weekday(lower) {
        } else if lower == "am" || lower == "pm" {
            pm = Some(lower == "pm");
        } else if let Some(o) = numeric_offset(tok) {
            if offset.is_none() {
                offset = Some(o);
            }
        } else if tok.bytes().all(|b| b.is_ascii_digit()) {
            if tok.len() == 4 && year.is_none() {
                year = tok.parse().ok();
            } else {
                small_numbers.push(tok);
            }
        } else if let Some(o) = named_zone(lower) {
            if offset.is_none() {
                offset = Some(o);
            }
        } else if tok.chars().all(|c| c.is_ascii_alphabetic()) && tok.len() <= 6 {
            unknown_zone.get_or_insert_with(|| tok.clone());
        }
    }

    // The remaining bare numbers are the day and, without a four-digit year,
    // an obsolete two- or three-digit year.
    let mut nums = small_numbers.iter();
    if day.is_none() {
        day = nums.next().and_then(|n| n.parse().ok());
    }
    if year.is_none() {
        year = nums
            .next()
            .and_then(|n| n.parse::<i32>().ok())
            .map(|y| match n_digits(y) {
                1 | 2 if y < 50 => 2000 + y,
                1 | 2 => 1900 + y,
                3 => 1900 + y,
                _ => y,
            });
    }
    let (Some(year), Some(month), Some(day), Some((mut hour, minute, mut second))) =
        (year, month, day, time)
    else {
        return Err(unrecognised());
    };
    match pm {
        Some(true) if (1..12).contains(&hour) => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        Some(_) if hour > 12 => return Err(DateError::Impossible(value.trim().to_string())),
        _ => {}
    }
    if second == 60 {
        second = 59; // a leap second; chrono's FixedOffset cannot name it
    }
    let impossible = || DateError::Impossible(value.trim().to_string());
    if !(1900..=2200).contains(&year) {
        return Err(impossible());
    }
    let placeholder = || DateError::Placeholder(value.trim().to_string());
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(impossible)?;
    let time = NaiveTime::from_hms_opt(hour, minute, second).ok_or_else(impossible)?;
    let (offset, zone_assumed) = match (offset, unknown_zone) {
        (Some(o), _) => (o, false),
        (None, Some(zone)) => {
            return Err(DateError::UnknownZone {
                zone,
                value: value.trim().to_string(),
            });
        }
        (None, None) => (0, true),
    };
    let zone = FixedOffset::east_opt(offset).ok_or_else(impossible)?;
    let date = zone
        .from_local_datetime(&date.and_time(time))
        .single()
        .ok_or_else(impossible)?;
    // Mail software writes the Unix epoch (or a date near it) when it has no
    // clock or no date; no list mail predates 1971.
    if date.timestamp() < 31_536_000 {
        return Err(placeholder());
    }
    Ok(ParsedDate { date, zone_assumed })
}

fn n_digits(y: i32) -> u32 {
    if y < 10 {
        1
    } else if y < 100 {
        2
    } else if y < 1000 {
        3
    } else {
        4
    }
}

fn is_rfc850_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && parts[0].len() <= 2
        && parts[0].bytes().all(|b| b.is_ascii_digit())
        && !parts[0].is_empty()
        && month_number(&parts[1].to_ascii_lowercase()).is_some()
        && parts[2].bytes().all(|b| b.is_ascii_digit())
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Splits `10:00:00+01:00` or `10:00:00Z` into a time and a zone token.
fn split_time_zone(word: &str, tokens: &mut Vec<String>) {
    if let Some(i) = word.find(['+', '-']) {
        tokens.push(word[..i].to_string());
        tokens.push(word[i..].replace(':', ""));
    } else if let Some(t) = word.strip_suffix(['Z', 'z']) {
        tokens.push(t.to_string());
        tokens.push("UTC".to_string());
    } else {
        tokens.push(word.to_string());
    }
}

/// `+hhmm` / `-hhmm` (or `+hh`) as seconds east of UTC.
fn numeric_offset(tok: &str) -> Option<i32> {
    let (sign, digits) = match tok.as_bytes().first()? {
        b'+' => (1, &tok[1..]),
        b'-' => (-1, &tok[1..]),
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = match digits.len() {
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        2 => (digits.parse().ok()?, 0),
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn named_zone(lower: &str) -> Option<i32> {
    let hours: f32 = match lower {
        "ut" | "utc" | "gmt" | "z" | "wet" | "utc0" => 0.0,
        "bst" | "cet" | "met" | "mez" | "west" | "wat" => 1.0,
        "cest" | "mest" | "mesz" | "eet" | "sast" | "ist-israel" => 2.0,
        "eest" | "msk" | "idt" => 3.0,
        "msd" => 4.0,
        "ist" => 5.5, // India; the Irish and Israeli readings are rarer in mail
        "ict" | "wib" => 7.0,
        "hkt" | "sgt" | "awst" | "cst-china" | "pht" => 8.0,
        "jst" | "kst" => 9.0,
        "acst" => 9.5,
        "aest" => 10.0,
        "acdt" => 10.5,
        "aedt" => 11.0,
        "nzst" => 12.0,
        "nzdt" => 13.0,
        "adt" => -3.0,
        "ast" | "edt" => -4.0,
        "est" | "cdt" => -5.0,
        "cst" | "mdt" => -6.0,
        "mst" | "pdt" => -7.0,
        "pst" | "akdt" => -8.0,
        "akst" => -9.0,
        "hst" => -10.0,
        // RFC 5322: military zones are too often wrong to trust; read as UTC.
        m if m.len() == 1 && m != "j" && m.as_bytes()[0].is_ascii_lowercase() => 0.0,
        _ => return None,
    };
    Some((hours * 3600.0) as i32)
}

fn month_number(lower: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    if lower.len() < 3 {
        return None;
    }
    let m = NAMES.iter().position(|n| lower.starts_with(n))? as u32 + 1;
    // "march" and "mar" are months; "mart" is not.
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    (lower.len() == 3 || FULL[m as usize - 1].starts_with(lower) || lower == "sept").then_some(m)
}

fn is_weekday(lower: &str) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    lower.len() >= 3 && DAYS.iter().any(|d| lower.starts_with(d))
}

fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    /// Renders the parsed date in UTC, so a wrong hour shows.
    #[track_caller]
    fn check(value: &str, expected: Expect) {
        let actual = match super::parse(value) {
            Ok(p) => format!(
                "{} ({}){}",
                p.date.with_timezone(&chrono::Utc).to_rfc3339(),
                p.date.offset(),
                if p.zone_assumed { " zone assumed" } else { "" }
            ),
            Err(e) => format!("error: {e}"),
        };
        expected.assert_eq(&actual);
    }

    #[test]
    fn rfc5322_and_obsolete_forms() {
        check(
            "Tue, 12 Mar 2019 17:52:18 -0700",
            expect!["2019-03-13T00:52:18+00:00 (-07:00)"],
        );
        check(
            "12 Mar 2019 17:52 +0200",
            expect!["2019-03-12T15:52:00+00:00 (+02:00)"],
        );
        check(
            "Tue, 12 Mar 2019 17:52:18 +0000 (UTC)",
            expect!["2019-03-12T17:52:18+00:00 (+00:00)"],
        );
        check(
            "Tue,\r\n 12 Mar 2019\r\n 17:52:18 GMT",
            expect!["2019-03-12T17:52:18+00:00 (+00:00)"],
        );
        check(
            "1 Jan 08 10:00 EST",
            expect!["2008-01-01T15:00:00+00:00 (-05:00)"],
        );
        check(
            "1 Jan 99 10:00:00 PST",
            expect!["1999-01-01T18:00:00+00:00 (-08:00)"],
        );
        check(
            "1 Jan 103 10:00:00 +0000",
            expect!["2003-01-01T10:00:00+00:00 (+00:00)"],
        );
        check(
            "Mon, 5 Sep 2011 06:09:22 PM EDT",
            expect!["2011-09-05T22:09:22+00:00 (-04:00)"],
        );
        check(
            "Mon, 5 Sep 2011 12:09:22 AM +0000",
            expect!["2011-09-05T00:09:22+00:00 (+00:00)"],
        );
        check(
            "Thu, 01 Jan 2009 23:59:60 +0000",
            expect!["2009-01-01T23:59:59+00:00 (+00:00)"],
        );
        check(
            "Wed, 4 Jul 2001 10:00:00 CEST",
            expect!["2001-07-04T08:00:00+00:00 (+02:00)"],
        );
        check(
            "Wednesday, 4-Jul-01 10:00:00 +0100",
            expect!["2001-07-04T09:00:00+00:00 (+01:00)"],
        );
    }

    #[test]
    fn asctime_and_iso() {
        check(
            "Wed Jun 30 21:49:08 1993",
            expect!["1993-06-30T21:49:08+00:00 (+00:00) zone assumed"],
        );
        check(
            "Wed Jun 30 21:49:08 +0200 1993",
            expect!["1993-06-30T19:49:08+00:00 (+02:00)"],
        );
        check(
            "2019-03-12T10:00:00Z",
            expect!["2019-03-12T10:00:00+00:00 (+00:00)"],
        );
        check(
            "2019-03-12T10:00:00+01:00",
            expect!["2019-03-12T09:00:00+00:00 (+01:00)"],
        );
        check(
            "2019-03-12 10:00:00 -0500",
            expect!["2019-03-12T15:00:00+00:00 (-05:00)"],
        );
    }

    #[test]
    fn impossible_and_unknown_are_errors_not_guesses() {
        check("", expect![[r#"error: no recognisable date in """#]]);
        check(
            "32 Foo 2008 25:61",
            expect![[r#"error: no recognisable date in "32 Foo 2008 25:61""#]],
        );
        check(
            "32 Jan 2008 10:00 +0000",
            expect![[r#"error: impossible date "32 Jan 2008 10:00 +0000""#]],
        );
        check(
            "30 Feb 2008 10:00 +0000",
            expect![[r#"error: impossible date "30 Feb 2008 10:00 +0000""#]],
        );
        check(
            "1 Jan 2008 25:00 +0000",
            expect![[r#"error: impossible date "1 Jan 2008 25:00 +0000""#]],
        );
        check(
            "1 Jan 2008 10:00 XYZT",
            expect![[r#"error: unknown time zone "XYZT" in "1 Jan 2008 10:00 XYZT""#]],
        );
        check(
            "Thu, 01 Jan 1970 00:00:00 +0000",
            expect![[
                r#"error: placeholder date "Thu, 01 Jan 1970 00:00:00 +0000" (the Unix epoch)"#
            ]],
        );
        check(
            "garbage",
            expect![[r#"error: no recognisable date in "garbage""#]],
        );
    }
}
