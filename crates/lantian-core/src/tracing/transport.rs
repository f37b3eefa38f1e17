//! Transport against local: an estimate of the inflow at a network's upwind (border)
//! stations against the local increment at a receptor or over the network, per hour and as
//! shares over a period (issue 19, "transport vs local"). Lantian's own estimate, not a
//! standard method: docs/tracing.md "Transport and local" states it and its limits.
//!
//! Each hour: the network's wind is the resultant of the stations' wind vectors; the
//! upwind stations are those whose bearing from the network's centre lies within
//! ±`half_width_deg` of the direction the wind comes from; the inflow is their mean
//! concentration; the local increment is the receptor's concentration (or the network mean)
//! minus the inflow.

use super::{Hour, sector_edges, sector_of};
use serde::Serialize;

/// Half-width of the upwind cone around the direction the wind comes from, degrees.
pub const UPWIND_HALF_WIDTH_DEG_DEFAULT: f64 = 45.0;
/// Sectors of the wind direction the period's shares are also broken down by.
pub const TRANSPORT_SECTORS: usize = 8;
/// A station this close to the network's centre (km) has no bearing: it is never upwind.
pub const CENTRE_RADIUS_KM: f64 = 1.0;

/// What the estimate is for and how wide the upwind cone is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TransportOptions {
    /// The receptor station's index; `None` for the network mean.
    pub receptor: Option<usize>,
    pub half_width_deg: f64,
    /// A resultant network wind below this (m/s) is calm: no direction, no upwind.
    pub calm_m_s: f64,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            receptor: None,
            half_width_deg: UPWIND_HALF_WIDTH_DEG_DEFAULT,
            calm_m_s: super::CALM_M_S_DEFAULT,
        }
    }
}

/// Why an hour is or is not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HourStatus {
    Counted,
    /// No station had a wind speed and direction.
    NoWind,
    /// The resultant wind was below the calm threshold.
    Calm,
    /// No station other than the receptor with a concentration lay upwind.
    NoUpwind,
    /// The receptor (or every station) had no concentration.
    NoTarget,
}

/// One hour of the estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransportHour {
    pub ts: i64,
    pub status: HourStatus,
    /// The resultant wind: direction it comes from (degrees) and speed (m/s); NaN without wind.
    pub wd_deg: f64,
    pub ws_m_s: f64,
    /// Indices of the upwind stations with a concentration.
    pub upwind: Vec<usize>,
    /// Their mean concentration; NaN when not counted.
    pub inflow: f64,
    /// The receptor's concentration or the network mean; NaN when missing.
    pub target: f64,
    /// target − inflow; NaN when not counted.
    pub increment: f64,
}

/// Sums over counted hours, as shares of the target's sum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Shares {
    pub hours: usize,
    pub target_sum: f64,
    pub inflow_sum: f64,
    /// Σ inflow / Σ target.
    pub inflow_share: f64,
    /// Σ (target − inflow) / Σ target = 1 − inflow_share.
    pub local_share: f64,
    /// Hours whose increment was negative (the target below the inflow).
    pub hours_negative_increment: usize,
    pub mean_inflow: f64,
    pub mean_increment: f64,
}

#[derive(Clone, Copy, Debug, Default)]
struct SharesAcc {
    hours: usize,
    target: f64,
    inflow: f64,
    negative: usize,
}

impl SharesAcc {
    fn add(&mut self, h: &TransportHour) {
        self.hours += 1;
        self.target += h.target;
        self.inflow += h.inflow;
        self.negative += usize::from(h.increment < 0.0);
    }

    fn shares(&self) -> Shares {
        let n = self.hours as f64;
        let (inflow_share, local_share) = if self.target > 0.0 {
            let i = self.inflow / self.target;
            (i, (self.target - self.inflow) / self.target)
        } else {
            (f64::NAN, f64::NAN)
        };
        Shares {
            hours: self.hours,
            target_sum: self.target,
            inflow_sum: self.inflow,
            inflow_share,
            local_share,
            hours_negative_increment: self.negative,
            mean_inflow: if self.hours > 0 {
                self.inflow / n
            } else {
                f64::NAN
            },
            mean_increment: if self.hours > 0 {
                (self.target - self.inflow) / n
            } else {
                f64::NAN
            },
        }
    }
}

/// The period's shares in one wind sector (the direction the wind comes from).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SectorShares {
    pub sector: usize,
    pub from_deg: f64,
    pub to_deg: f64,
    pub shares: Shares,
}

/// The estimate over a period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transport {
    pub method_text: String,
    pub receptor: Option<usize>,
    /// The network's centre (x, y km), the mean of the stations' positions.
    pub centre_km: (f64, f64),
    /// Each station's bearing from the centre, degrees clockwise from north (NaN within
    /// [`CENTRE_RADIUS_KM`] of it).
    pub bearings_deg: Vec<f64>,
    pub total: Shares,
    pub sectors: Vec<SectorShares>,
    pub hours_calm: usize,
    pub hours_no_wind: usize,
    pub hours_no_upwind: usize,
    pub hours_no_target: usize,
    pub hours: Vec<TransportHour>,
}

/// The method stated (zh / en).
pub fn method_text(opts: &TransportOptions) -> String {
    let w = opts.half_width_deg;
    let c = opts.calm_m_s;
    format!(
        "估算（蓝天自定方法，非标准）：逐时以各站风矢量合成网络风向（合成风速低于 {c} m/s 为静风，不计）；\
         从网络中心看方位在来风方向 ±{w}° 内的站为上风向（边界）站，其浓度均值为输入量；\
         本地增量 = 受体（或网络均值）− 输入量；时段内按总和计份额。/ An estimate (Lantian's own, not \
         a standard): each hour the network's wind is the resultant of the stations' wind vectors \
         (below {c} m/s calm, not counted); stations whose bearing from the network's centre is within \
         ±{w}° of the direction the wind comes from are upwind (border) stations and their mean is the \
         inflow; the local increment = receptor (or network mean) − inflow; shares over the period are \
         ratios of sums."
    )
}

/// The cone's edges are inclusive up to this much rounding (degrees): the resultant of
/// winds all from 45° is 45° only within a few ulps.
const EDGE_TOLERANCE_DEG: f64 = 1e-9;

/// The signed smallest difference between two directions, degrees in (−180, 180].
fn angle_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 { d - 360.0 } else { d }
}

/// The estimate. `hours[h][s]` is station `s` at hour `h` (wind and concentration);
/// `sites_km` the stations' positions (x east, y north, km).
pub fn transport(
    sites_km: &[(f64, f64)],
    hours: &[Vec<Hour>],
    opts: &TransportOptions,
) -> Transport {
    let n = sites_km.len().max(1) as f64;
    let centre = (
        sites_km.iter().map(|p| p.0).sum::<f64>() / n,
        sites_km.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let bearings: Vec<f64> = sites_km
        .iter()
        .map(|p| {
            let (dx, dy) = (p.0 - centre.0, p.1 - centre.1);
            if dx.hypot(dy) < CENTRE_RADIUS_KM {
                f64::NAN
            } else {
                dx.atan2(dy).to_degrees().rem_euclid(360.0)
            }
        })
        .collect();
    let mut total = SharesAcc::default();
    let mut by_sector = vec![SharesAcc::default(); TRANSPORT_SECTORS];
    let (mut calm, mut no_wind, mut no_upwind, mut no_target) = (0, 0, 0, 0);
    let mut out = Vec::with_capacity(hours.len());
    for row in hours {
        let h = one_hour(row, &bearings, opts);
        match h.status {
            HourStatus::Counted => {
                total.add(&h);
                by_sector[sector_of(h.wd_deg, TRANSPORT_SECTORS)].add(&h);
            }
            HourStatus::Calm => calm += 1,
            HourStatus::NoWind => no_wind += 1,
            HourStatus::NoUpwind => no_upwind += 1,
            HourStatus::NoTarget => no_target += 1,
        }
        out.push(h);
    }
    Transport {
        method_text: method_text(opts),
        receptor: opts.receptor,
        centre_km: centre,
        bearings_deg: bearings,
        total: total.shares(),
        sectors: by_sector
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let (from_deg, to_deg) = sector_edges(k, TRANSPORT_SECTORS);
                SectorShares {
                    sector: k,
                    from_deg,
                    to_deg,
                    shares: a.shares(),
                }
            })
            .collect(),
        hours_calm: calm,
        hours_no_wind: no_wind,
        hours_no_upwind: no_upwind,
        hours_no_target: no_target,
        hours: out,
    }
}

/// One hour: the resultant wind, the upwind stations, inflow, target and increment.
pub fn one_hour(row: &[Hour], bearings_deg: &[f64], opts: &TransportOptions) -> TransportHour {
    let ts = row.iter().map(|h| h.ts).next().unwrap_or(0);
    let mut h = TransportHour {
        ts,
        status: HourStatus::NoWind,
        wd_deg: f64::NAN,
        ws_m_s: f64::NAN,
        upwind: Vec::new(),
        inflow: f64::NAN,
        target: f64::NAN,
        increment: f64::NAN,
    };
    // The wind vector points where the air goes: u = −ws·sin(wd), v = −ws·cos(wd).
    let (mut u, mut v, mut k) = (0.0, 0.0, 0usize);
    for s in row {
        if s.ws_m_s.is_finite() && s.wd_deg.is_finite() && s.ws_m_s >= 0.0 {
            let r = s.wd_deg.to_radians();
            u -= s.ws_m_s * r.sin();
            v -= s.ws_m_s * r.cos();
            k += 1;
        }
    }
    h.target = match opts.receptor {
        Some(r) => row.get(r).map_or(f64::NAN, |s| s.conc),
        None => {
            let vals: Vec<f64> = row
                .iter()
                .map(|s| s.conc)
                .filter(|c| c.is_finite())
                .collect();
            if vals.is_empty() {
                f64::NAN
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            }
        }
    };
    if k == 0 {
        return h;
    }
    let (u, v) = (u / k as f64, v / k as f64);
    h.ws_m_s = u.hypot(v);
    h.wd_deg = (-u).atan2(-v).to_degrees().rem_euclid(360.0);
    if h.ws_m_s < opts.calm_m_s {
        h.status = HourStatus::Calm;
        return h;
    }
    if !h.target.is_finite() {
        h.status = HourStatus::NoTarget;
        return h;
    }
    let mut sum = 0.0;
    for (s, (st, &b)) in row.iter().zip(bearings_deg).enumerate() {
        if Some(s) != opts.receptor
            && st.conc.is_finite()
            && angle_diff(b, h.wd_deg).abs() <= opts.half_width_deg + EDGE_TOLERANCE_DEG
        {
            h.upwind.push(s);
            sum += st.conc;
        }
    }
    if h.upwind.is_empty() {
        h.status = HourStatus::NoUpwind;
        return h;
    }
    h.inflow = sum / h.upwind.len() as f64;
    h.increment = h.target - h.inflow;
    h.status = HourStatus::Counted;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(conc: f64, ws: f64, wd: f64) -> Hour {
        Hour {
            ts: 0,
            conc,
            ws_m_s: ws,
            wd_deg: wd,
        }
    }

    /// Four stations on the compass points 10 km from the centre plus one at the centre.
    fn sites() -> Vec<(f64, f64)> {
        vec![
            (0.0, 10.0),
            (10.0, 0.0),
            (0.0, -10.0),
            (-10.0, 0.0),
            (0.0, 0.0),
        ]
    }

    #[test]
    fn a_north_wind_makes_the_northern_station_the_inflow() {
        let sites = sites();
        // Wind from the north everywhere; the northern station reads 40, the others more.
        let row = vec![
            hour(40.0, 3.0, 0.0),
            hour(60.0, 3.0, 0.0),
            hour(90.0, 3.0, 0.0),
            hour(70.0, 3.0, 0.0),
            hour(80.0, 3.0, 0.0),
        ];
        let t = transport(
            &sites,
            std::slice::from_ref(&row),
            &TransportOptions {
                receptor: Some(4),
                ..Default::default()
            },
        );
        let h = &t.hours[0];
        assert_eq!(h.status, HourStatus::Counted);
        assert!(
            h.wd_deg.abs() < 1e-9 || (h.wd_deg - 360.0).abs() < 1e-9,
            "{}",
            h.wd_deg
        );
        assert_eq!(h.upwind, vec![0]);
        assert_eq!((h.inflow, h.target, h.increment), (40.0, 80.0, 40.0));
        assert!(
            (t.total.inflow_share - 0.5).abs() < 1e-15 && (t.total.local_share - 0.5).abs() < 1e-15
        );
        // The network mean as target: (40+60+90+70+80)/5 = 68; the centre station has no
        // bearing, so it is never upwind.
        let t = transport(&sites, &[row], &TransportOptions::default());
        assert!(t.bearings_deg[4].is_nan());
        assert_eq!(t.hours[0].upwind, vec![0]);
        assert_eq!(t.hours[0].inflow, 40.0);
        assert_eq!(t.hours[0].target, 68.0);
        assert_eq!(t.sectors[0].shares.hours, 1);
    }

    #[test]
    fn hours_are_counted_only_with_wind_a_target_and_an_upwind_station() {
        let sites = sites();
        let opts = TransportOptions {
            receptor: Some(4),
            ..Default::default()
        };
        let calm = vec![
            hour(1.0, 2.0, 90.0),
            hour(1.0, 2.0, 270.0),
            hour(1.0, 0.0, 0.0),
            hour(1.0, 0.0, 0.0),
            hour(1.0, 0.1, 0.0),
        ];
        let no_wind = vec![hour(1.0, f64::NAN, 0.0); 5];
        let mut no_target = vec![hour(1.0, 3.0, 90.0); 5];
        no_target[4].conc = f64::NAN;
        // Wind from the east; the eastern station has no value.
        let mut no_upwind = vec![hour(1.0, 3.0, 90.0); 5];
        no_upwind[1].conc = f64::NAN;
        // From 45°: the northern (0°) and eastern (90°) stations are both on the cone's edge.
        let edge = vec![
            hour(10.0, 3.0, 45.0),
            hour(30.0, 3.0, 45.0),
            hour(5.0, 3.0, 45.0),
            hour(5.0, 3.0, 45.0),
            hour(50.0, 3.0, 45.0),
        ];
        let t = transport(&sites, &[calm, no_wind, no_target, no_upwind, edge], &opts);
        let st: Vec<HourStatus> = t.hours.iter().map(|h| h.status).collect();
        use HourStatus::*;
        assert_eq!(st, vec![Calm, NoWind, NoTarget, NoUpwind, Counted]);
        assert_eq!(t.hours[4].upwind, vec![0, 1]);
        assert_eq!(t.hours[4].increment, 30.0);
        assert_eq!(
            (
                t.hours_calm,
                t.hours_no_wind,
                t.hours_no_target,
                t.hours_no_upwind
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(t.total.hours, 1);
    }

    #[test]
    fn shares_are_ratios_of_sums_and_sum_to_one() {
        let sites = sites();
        let opts = TransportOptions {
            receptor: Some(4),
            ..Default::default()
        };
        // Inflow 40 → target 50; inflow 60 → target 30 (a negative increment).
        let a = vec![
            hour(40.0, 3.0, 0.0),
            hour(0.0, 3.0, 0.0),
            hour(0.0, 3.0, 0.0),
            hour(0.0, 3.0, 0.0),
            hour(50.0, 3.0, 0.0),
        ];
        let b = vec![
            hour(0.0, 3.0, 180.0),
            hour(0.0, 3.0, 180.0),
            hour(60.0, 3.0, 180.0),
            hour(0.0, 3.0, 180.0),
            hour(30.0, 3.0, 180.0),
        ];
        let t = transport(&sites, &[a, b], &opts);
        assert_eq!(t.total.hours, 2);
        assert!((t.total.inflow_share - 100.0 / 80.0).abs() < 1e-15);
        assert!((t.total.inflow_share + t.total.local_share - 1.0).abs() < 1e-15);
        assert_eq!(t.total.hours_negative_increment, 1);
        assert_eq!(t.sectors[4].shares.hours, 1);
        assert_eq!(t.sectors[4].shares.mean_increment, -30.0);
    }
}
