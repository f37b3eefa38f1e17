//! Reading series: raw or audited values, hourly values as the engine reads them (sent
//! hourly, or rolled up from minute or real-time data), rollups, the latest hour; counts
//! and the store's size on disk.

use crate::error::StoreError;
use crate::model::*;
use crate::{Backend, Store};

/// One station's values of one code and period, `from <= ts < to`.
#[derive(Clone, Copy)]
struct Span<'a> {
    station_id: &'a str,
    code: &'a str,
    period: Period,
    from: i64,
    to: i64,
}

impl Span<'_> {
    fn params(&self) -> [crate::db::Val; 5] {
        [
            self.station_id.into(),
            self.code.into(),
            self.period.as_str().into(),
            self.from.into(),
            self.to.into(),
        ]
    }
}

impl Store {
    /// Values of one station, code and period with `from <= ts < to`, raw or audited.
    pub fn series(
        &self,
        station_id: &str,
        code: &str,
        period: Period,
        from: i64,
        to: i64,
        view: View,
    ) -> Result<Vec<Point>, StoreError> {
        let span = Span {
            station_id,
            code,
            period,
            from,
            to,
        };
        let raw = self.raw_series(span)?;
        match view {
            View::Raw => Ok(raw),
            View::Audited => self.audit_points(raw, span),
        }
    }

    fn raw_series(&self, span: Span<'_>) -> Result<Vec<Point>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT ts, value, flag FROM observations WHERE station_id = $1 AND code = $2 AND period = $3 \
                 AND ts >= $4 AND ts < $5 ORDER BY ts",
                &span.params(),
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| Point {
                ts: r[0].int().unwrap_or(0),
                value: r[1].real().unwrap_or(f64::NAN),
                flag: r[2].text().unwrap_or_default(),
                corrected: None,
            })
            .collect())
    }

    /// Applies the latest correction of each value: invalidated values go, corrected ones
    /// take the new value and say why.
    fn audit_points(
        &self,
        mut points: Vec<Point>,
        span: Span<'_>,
    ) -> Result<Vec<Point>, StoreError> {
        let corrections = self.read(|c| {
            c.query(
                "SELECT ts, action, value, reason_code FROM corrections WHERE station_id = $1 AND code = $2 AND period = $3 \
                 AND ts >= $4 AND ts < $5 ORDER BY ts, seq",
                &span.params(),
            )
        })?;
        let mut latest: std::collections::HashMap<i64, (String, Option<f64>, String)> =
            Default::default();
        for r in &corrections {
            latest.insert(
                r[0].int().unwrap_or(0),
                (
                    r[1].text().unwrap_or_default(),
                    r[2].real(),
                    r[3].text().unwrap_or_default(),
                ),
            );
        }
        points.retain_mut(|p| match latest.get(&p.ts) {
            Some((action, _, _)) if action == "invalidate" => false,
            Some((action, Some(v), reason)) if action == "correct" => {
                p.value = *v;
                p.corrected = Some(reason.clone());
                true
            }
            _ => true,
        });
        Ok(points)
    }

    /// The valid hourly values of one station and code with `from <= hour start < to`, as the
    /// standards engine reads them: the hourly values the station sent (flag `N`; audited:
    /// with corrections); for hours it sent none, the valid rollup of its minute values; for
    /// hours with neither, the mean of its real-time values, valid with ≥ 45 distinct
    /// minutes (read here, never stored). An hour the station sent as invalid, or that an
    /// auditor invalidated, is not replaced; nor is an hour of too few minutes by real-time
    /// values. Rollups are of raw values. Daily records are kept from what this returns
    /// (`daily.rs`): a change to which hours it returns must bump `lantian_app::days::
    /// RECORDS_REV`, so that the kept records are computed again.
    pub fn hourly(
        &self,
        station_id: &str,
        code: &str,
        from: i64,
        to: i64,
        view: View,
    ) -> Result<Vec<HourValue>, StoreError> {
        let raw = self.series(station_id, code, Period::Hour, from, to, View::Raw)?;
        let sent: std::collections::HashSet<i64> = raw.iter().map(|p| p.ts).collect();
        let points = match view {
            View::Raw => raw,
            View::Audited => {
                let span = Span {
                    station_id,
                    code,
                    period: Period::Hour,
                    from,
                    to,
                };
                self.audit_points(raw, span)?
            }
        };
        let mut out: Vec<HourValue> = points
            .into_iter()
            .filter(|p| p.flag == "N")
            .map(|p| HourValue {
                ts: p.ts,
                value: p.value,
                source: Period::Hour,
                n_observed: 60,
                n_expected: 60,
                corrected: p.corrected,
            })
            .collect();
        // Hours the station sent, or has minute data for (valid or not), are decided; the
        // others may have real-time values.
        let rollups = self.hourly_rollups(station_id, code, from, to)?;
        let rolled: Vec<i64> = rollups.iter().map(|r| r.ts).collect();
        out.extend(
            rollups
                .into_iter()
                .filter(|r| r.valid && !sent.contains(&r.ts))
                .filter_map(|r| {
                    Some(HourValue {
                        ts: r.ts,
                        value: r.mean?,
                        source: r.source,
                        n_observed: r.n_observed,
                        n_expected: r.n_expected,
                        corrected: None,
                    })
                }),
        );
        let mut decided = sent;
        decided.extend(rolled);
        let minutes_min = i64::from(lantian_core::validity::HOUR_SAMPLING_MINUTES_MIN);
        for (start, end) in open_ranges(from, to, &decided) {
            let rows = self.read(|c| {
                c.query(
                    crate::db::HOURS_FROM_REALTIME,
                    &[station_id.into(), code.into(), start.into(), end.into()],
                )
            })?;
            out.extend(rows.iter().filter_map(|r| {
                let minutes = r[1].int()?;
                (minutes >= minutes_min).then(|| HourValue {
                    ts: r[0].int().unwrap_or(0),
                    value: r[2].real().unwrap_or(f64::NAN),
                    source: Period::Rtd,
                    n_observed: minutes.min(60),
                    n_expected: 60,
                    corrected: None,
                })
            }));
        }
        out.sort_by_key(|h| h.ts);
        Ok(out)
    }

    /// Hourly rollups of minute data with coverage, `from <= hour_ts < to`.
    pub fn hourly_rollups(
        &self,
        station_id: &str,
        code: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<Rollup>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT hour_ts, source, n_expected, n_observed, valid, mean FROM rollup_hourly WHERE station_id = $1 \
                 AND code = $2 AND hour_ts >= $3 AND hour_ts < $4 ORDER BY hour_ts",
                &[station_id.into(), code.into(), from.into(), to.into()],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| Rollup {
                ts: r[0].int().unwrap_or(0),
                source: r[1]
                    .text()
                    .and_then(|s| Period::parse(&s))
                    .unwrap_or(Period::Min),
                n_expected: r[2].int().unwrap_or(0),
                n_observed: r[3].int().unwrap_or(0),
                valid: r[4].int() == Some(1),
                mean: r[5].real(),
            })
            .collect())
    }

    /// The start of the latest hour with a value the engine can read (an hourly value or a
    /// valid rollup) of a station, over some codes (index seeks per code).
    pub fn latest_hour(&self, station_id: &str, codes: &[&str]) -> Result<Option<i64>, StoreError> {
        let mut latest = None;
        for code in codes {
            let key = [station_id.into(), (*code).into()];
            for sql in [
                "SELECT MAX(ts) FROM observations WHERE station_id = $1 AND code = $2 AND period = 'hour'",
                "SELECT MAX(hour_ts) FROM rollup_hourly WHERE station_id = $1 AND code = $2 AND valid = 1",
            ] {
                let t = self
                    .read(|c| c.query(sql, &key))?
                    .first()
                    .and_then(|r| r[0].int());
                latest = latest.max(t);
            }
        }
        Ok(latest)
    }

    /// Counts of archive records, observations and corrections (for status pages and tests).
    pub fn counts(&self) -> Result<(i64, i64, i64), StoreError> {
        let count = |part, table: &str| {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            self.read_from(part, |c| c.query(&sql, &[]))
                .map(|r| r.first().and_then(|r| r[0].int()).unwrap_or(0))
        };
        Ok((
            count(crate::Part::Archive, "archive")?,
            count(crate::Part::Main, "observations")?,
            count(crate::Part::Main, "corrections")?,
        ))
    }

    /// Bytes on disk (what `lantian bench province` reports). SQLite: `lantian.db` and
    /// `archive.db` with their write-ahead logs and shared-memory files, as they are now (no
    /// checkpoint is forced). PostgreSQL: `pg_database_size` of the connected database; on a
    /// Citus coordinator, plus the hash-distributed tables' shards
    /// (`citus_total_relation_size`), which live on the workers (a coordinator that holds
    /// shards itself would count those twice).
    pub fn size_on_disk_bytes(&self) -> Result<u64, StoreError> {
        match &self.backend {
            Backend::Sqlite { main, archive } => {
                let mut total = 0;
                for db in [main, archive] {
                    for suffix in ["", "-wal", "-shm"] {
                        let mut name = db.path.clone().into_os_string();
                        name.push(suffix);
                        match std::fs::metadata(&name) {
                            Ok(m) => total += m.len(),
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                            Err(e) => {
                                return Err(StoreError::Sql {
                                    backend: "SQLite",
                                    message: format!("{}: {e}", name.to_string_lossy()),
                                });
                            }
                        }
                    }
                }
                Ok(total)
            }
            Backend::Postgres { .. } => {
                let rows = self.read(|c| {
                    c.query(
                        "SELECT pg_database_size(current_database())::bigint, \
                         to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL",
                        &[],
                    )
                })?;
                let own = rows.first().and_then(|r| r[0].int()).unwrap_or(0);
                let citus = rows.first().is_some_and(|r| r[1].int() == Some(1));
                let shards = if citus {
                    // Hash-distributed tables only: reference tables ('n') are replicated
                    // to the coordinator too and already counted in its size.
                    self.read(|c| {
                        c.query(
                            "SELECT COALESCE(SUM(citus_total_relation_size(logicalrelid)), 0)::bigint \
                             FROM pg_dist_partition WHERE partmethod = 'h'",
                            &[],
                        )
                    })?
                    .first()
                    .and_then(|r| r[0].int())
                    .unwrap_or(0)
                } else {
                    0
                };
                Ok(u64::try_from(own + shards).unwrap_or(0))
            }
        }
    }

    /// Upkeep after a bulk load, what PostgreSQL's autovacuum does on its own schedule:
    /// `VACUUM (ANALYZE)` of the time series keeps the planner's statistics current and
    /// marks pages all-visible, so that a station-year is read by an index-only scan of the
    /// primary key (which covers value and flag). SQLite: `PRAGMA optimize`.
    pub fn maintain(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite { .. } => self.read(|c| c.query("PRAGMA optimize", &[])).map(drop),
            Backend::Postgres { url, .. } => {
                // VACUUM runs outside a transaction, on a connection of its own.
                crate::pg::connect(url)?
                    .batch_execute("VACUUM (ANALYZE) observations, rollup_hourly")?;
                Ok(())
            }
        }
    }
}

/// The runs of hours in `[from, to)` (hour-aligned) that are not in `decided`, as
/// `[start, end)` ranges: at most one query each for the hours still open.
fn open_ranges(from: i64, to: i64, decided: &std::collections::HashSet<i64>) -> Vec<(i64, i64)> {
    let hour = lantian_core::cst::HOUR_S;
    let mut out: Vec<(i64, i64)> = Vec::new();
    let mut h = from - from.rem_euclid(hour);
    while h < to {
        if !decided.contains(&h) {
            match out.last_mut() {
                Some((_, end)) if *end == h => *end = h + hour,
                _ => out.push((h, h + hour)),
            }
        }
        h += hour;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_ranges_join_runs_of_undecided_hours() {
        let decided: std::collections::HashSet<i64> = [3600, 7200, 18_000].into_iter().collect();
        assert_eq!(
            open_ranges(0, 25_200, &decided),
            [(0, 3600), (10_800, 18_000), (21_600, 25_200)]
        );
        assert!(open_ranges(3600, 10_800, &decided).is_empty());
    }
}
