//! Reading series: raw or audited values, rollups, latest values.

use crate::Store;
use crate::error::StoreError;
use crate::model::*;

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
        let key = [
            station_id.into(),
            code.into(),
            period.as_str().into(),
            from.into(),
            to.into(),
        ];
        let rows = self.read(|c| {
            c.query(
                "SELECT ts, value, flag FROM observations WHERE station_id = $1 AND code = $2 AND period = $3 \
                 AND ts >= $4 AND ts < $5 ORDER BY ts",
                &key,
            )
        })?;
        let mut points: Vec<Point> = rows
            .iter()
            .map(|r| Point {
                ts: r[0].int().unwrap_or(0),
                value: r[1].real().unwrap_or(f64::NAN),
                flag: r[2].text().unwrap_or_default(),
                corrected: None,
            })
            .collect();
        if view == View::Raw {
            return Ok(points);
        }
        let corrections = self.read(|c| {
            c.query(
                "SELECT ts, action, value, reason_code FROM corrections WHERE station_id = $1 AND code = $2 AND period = $3 \
                 AND ts >= $4 AND ts < $5 ORDER BY ts, seq",
                &key,
            )
        })?;
        // The latest correction of each value wins.
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

    /// Hourly rollups of minute data with coverage, `from <= hour_ts < to`.
    pub fn hourly_rollups(
        &self,
        station_id: &str,
        code: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<Rollup>, StoreError> {
        self.rollups("rollup_hourly", "hour_ts", station_id, code, from, to)
    }

    /// Daily rollups with coverage (valid with ≥ 20 valid hours), `from <= day_ts < to`.
    pub fn daily_rollups(
        &self,
        station_id: &str,
        code: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<Rollup>, StoreError> {
        self.rollups("rollup_daily", "day_ts", station_id, code, from, to)
    }

    /// Rows of one rollup table (a constant name, never user input) in time order.
    fn rollups(
        &self,
        table: &str,
        ts_column: &str,
        station_id: &str,
        code: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<Rollup>, StoreError> {
        let sql = format!(
            "SELECT {ts_column}, n_expected, n_observed, valid, mean FROM {table} WHERE station_id = $1 AND code = $2 \
             AND {ts_column} >= $3 AND {ts_column} < $4 ORDER BY {ts_column}"
        );
        let rows = self.read(|c| {
            c.query(
                &sql,
                &[station_id.into(), code.into(), from.into(), to.into()],
            )
        })?;
        Ok(rows.iter().map(rollup).collect())
    }

    /// The latest value of each code of a station for a period: (code, ts, value, flag).
    pub fn latest(
        &self,
        station_id: &str,
        period: Period,
    ) -> Result<Vec<(String, i64, f64, String)>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT o.code, o.ts, o.value, o.flag FROM observations o WHERE o.station_id = $1 AND o.period = $2 \
                 AND o.ts = (SELECT MAX(ts) FROM observations i WHERE i.station_id = $1 AND i.code = o.code AND i.period = $2) \
                 ORDER BY o.code",
                &[station_id.into(), period.as_str().into()],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r[0].text().unwrap_or_default(),
                    r[1].int().unwrap_or(0),
                    r[2].real().unwrap_or(f64::NAN),
                    r[3].text().unwrap_or_default(),
                )
            })
            .collect())
    }

    /// The time of the latest value of one station, code and period (an index seek).
    pub fn latest_ts(
        &self,
        station_id: &str,
        code: &str,
        period: Period,
    ) -> Result<Option<i64>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT MAX(ts) FROM observations WHERE station_id = $1 AND code = $2 AND period = $3",
                &[station_id.into(), code.into(), period.as_str().into()],
            )
        })?;
        Ok(rows.first().and_then(|r| r[0].int()))
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
}

fn rollup(r: &crate::db::Row) -> Rollup {
    Rollup {
        ts: r[0].int().unwrap_or(0),
        n_expected: r[1].int().unwrap_or(0),
        n_observed: r[2].int().unwrap_or(0),
        valid: r[3].int() == Some(1),
        mean: r[4].real(),
    }
}
