//! Upwind sources: the register's enterprises around a station ranked by how likely they
//! feed its high concentrations, score = directional weight (the station's CBPF or NWR value
//! in the sector of the enterprise's bearing, over the largest sector's) × distance decay
//! 1/(1 + d/d0) × emission factor (its emissions over the mean of those known). An
//! estimate that points at whom to inspect first, not an attribution. docs/tracing.md.

use super::sector_of;
use serde::Serialize;

/// The default distance of the decay's half weight (km): 1/(1 + d/d0) is ½ at d = d0.
pub const DECAY_D0_KM_DEFAULT: f64 = 5.0;
/// Enterprises farther than this from the station are not ranked (km).
pub const DISTANCE_KM_MAX_DEFAULT: f64 = 50.0;
/// The mean radius of the Earth (km), for great-circle distances.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A candidate source: an enterprise of the register with its position and, if known, its
/// emissions over the period (kg; any pollutant, the same for all candidates).
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub id: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub emission_kg: Option<f64>,
}

/// How the ranking weighs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Distance decay 1/(1 + d/d0), km.
    pub d0_km: f64,
    /// Farther enterprises are left out, km.
    pub distance_km_max: f64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            d0_km: DECAY_D0_KM_DEFAULT,
            distance_km_max: DISTANCE_KM_MAX_DEFAULT,
        }
    }
}

/// One ranked enterprise with the evidence of its score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranked {
    /// 1 = the most likely; equal scores share a rank (1, 2, 2, 4).
    pub rank: usize,
    pub id: String,
    pub name: String,
    /// The enterprise's bearing from the station, degrees clockwise from north: the wind
    /// direction (from) that carries its emissions to the station.
    pub bearing_deg: f64,
    pub distance_km: f64,
    /// The sector of that bearing (0 = north, clockwise) and the station's CBPF/NWR value
    /// there (`null`: no hours in that sector).
    pub sector: usize,
    pub sector_value: Option<f64>,
    /// `sector_value` over the largest sector value, 0…1.
    pub direction_weight: f64,
    /// 1/(1 + d/d0).
    pub distance_weight: f64,
    /// The enterprise's emissions over the period, kg (`null`: none known).
    pub emission_kg: Option<f64>,
    /// Its emissions over the mean of the known ones; 1 when unknown (`emission_assumed`).
    pub emission_weight: f64,
    pub emission_assumed: bool,
    /// The product of the three weights.
    pub score: f64,
}

/// Great-circle distance (haversine), km.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// The initial bearing from point 1 to point 2, degrees clockwise from north, [0, 360).
pub fn bearing_deg(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// Ranks `sources` around a station at (`lat`, `lon`) by the station's per-sector values
/// (`sector_values[k]` of sector k of `sector_values.len()`, NaN where the sector had no
/// hours): highest score first, then nearest, then id. Sources beyond
/// `cfg.distance_km_max` are left out.
pub fn rank(
    lat: f64,
    lon: f64,
    sector_values: &[f64],
    sources: &[Source],
    cfg: Config,
) -> Vec<Ranked> {
    let n = sector_values.len().max(1);
    let top = sector_values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let known: Vec<f64> = sources
        .iter()
        .filter_map(|s| s.emission_kg.filter(|e| e.is_finite() && *e >= 0.0))
        .collect();
    let mean_kg = if known.is_empty() {
        0.0
    } else {
        known.iter().sum::<f64>() / known.len() as f64
    };
    let mut out: Vec<Ranked> = sources
        .iter()
        .filter_map(|s| {
            let d = distance_km(lat, lon, s.lat, s.lon);
            if !d.is_finite() || d > cfg.distance_km_max {
                return None;
            }
            let b = bearing_deg(lat, lon, s.lat, s.lon);
            let sector = sector_of(b, n);
            let v = sector_values.get(sector).copied().filter(|v| v.is_finite());
            let direction_weight = match v {
                Some(v) if top > 0.0 => v / top,
                _ => 0.0,
            };
            let distance_weight = 1.0 / (1.0 + d / cfg.d0_km);
            let e = s.emission_kg.filter(|e| e.is_finite() && *e >= 0.0);
            let (emission_weight, emission_assumed) = match e {
                Some(e) if mean_kg > 0.0 => (e / mean_kg, false),
                _ => (1.0, true),
            };
            Some(Ranked {
                rank: 0,
                id: s.id.clone(),
                name: s.name.clone(),
                bearing_deg: b,
                distance_km: d,
                sector,
                sector_value: v,
                direction_weight,
                distance_weight,
                emission_kg: e,
                emission_weight,
                emission_assumed,
                score: direction_weight * distance_weight * emission_weight,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.distance_km.total_cmp(&b.distance_km))
            .then(a.id.cmp(&b.id))
    });
    for i in 0..out.len() {
        out[i].rank = if i > 0 && out[i].score == out[i - 1].score {
            out[i - 1].rank
        } else {
            i + 1
        };
    }
    out
}

/// The method as a page or report prints it, Chinese and English.
pub fn method_text(basis: &str, cfg: Config) -> String {
    format!(
        "上风向污染源排序：得分 = 方向权重（企业相对站点方位所在扇区的{basis}值 ÷ 最大扇区值）× 距离衰减 1/(1 + d/{d0} km) × 排放权重（该企业时段排放量 ÷ 已知排放量的平均值，未知取 1）；只计 {max} km 以内的企业。为估计，用于确定优先排查对象。 / Upwind sources: score = directional weight (the station's {basis} in the sector of the enterprise's bearing ÷ the largest sector's) × distance decay 1/(1 + d/{d0} km) × emission weight (its emissions over the period ÷ the mean of those known; 1 when unknown); enterprises within {max} km. An estimate to decide whom to inspect first.",
        d0 = cfg.d0_km,
        max = cfg.distance_km_max,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A point `km` away from (lat, lon) on bearing `deg` (flat-earth, fine at a few km).
    fn offset(lat: f64, lon: f64, deg: f64, km: f64) -> (f64, f64) {
        let dn = km * deg.to_radians().cos();
        let de = km * deg.to_radians().sin();
        (
            lat + dn / 111.195,
            lon + de / (111.195 * lat.to_radians().cos()),
        )
    }

    fn source(id: &str, at: (f64, f64), kg: Option<f64>) -> Source {
        Source {
            id: id.into(),
            name: id.into(),
            lat: at.0,
            lon: at.1,
            emission_kg: kg,
        }
    }

    const ST: (f64, f64) = (38.0, 115.2);

    #[test]
    fn bearings_and_distances_match_the_compass() {
        for (deg, km) in [
            (0.0, 3.0),
            (90.0, 5.0),
            (180.0, 2.0),
            (270.0, 8.0),
            (45.0, 4.0),
        ] {
            let (la, lo) = offset(ST.0, ST.1, deg, km);
            let b = bearing_deg(ST.0, ST.1, la, lo);
            let diff = ((b - deg + 540.0) % 360.0 - 180.0).abs();
            assert!(diff < 0.2, "bearing {b} for {deg}");
            let d = distance_km(ST.0, ST.1, la, lo);
            assert!((d - km).abs() < 0.01 * km, "distance {d} for {km}");
        }
    }

    #[test]
    fn an_enterprise_upwind_of_the_high_cpf_sector_ranks_first_and_one_downwind_low() {
        // High CPF from the north-east (sector 1 of 8), low from the south-west (sector 5).
        let cpf = [0.1, 0.9, 0.2, 0.3, 0.1, 0.05, 0.02, 0.1];
        let sources = [
            source("downwind", offset(ST.0, ST.1, 225.0, 3.0), None),
            source("upwind", offset(ST.0, ST.1, 45.0, 3.0), None),
            source("north", offset(ST.0, ST.1, 0.0, 3.0), None),
            source("upwind-far", offset(ST.0, ST.1, 45.0, 30.0), None),
            source("beyond", offset(ST.0, ST.1, 45.0, 80.0), None),
        ];
        let r = rank(ST.0, ST.1, &cpf, &sources, Config::default());
        let order: Vec<&str> = r.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(order, ["upwind", "upwind-far", "north", "downwind"]);
        assert_eq!(r[0].rank, 1);
        assert_eq!(r[0].sector, 1);
        assert!((r[0].direction_weight - 1.0).abs() < 1e-12);
        assert_eq!(r[3].sector, 5);
        assert!((r[0].distance_weight - 1.0 / (1.0 + 3.0 / 5.0)).abs() < 1e-3);
        assert!(
            r.iter()
                .all(|x| x.emission_assumed && x.emission_weight == 1.0)
        );
    }

    #[test]
    fn emissions_weigh_by_their_share_of_the_known_mean() {
        let cpf = [1.0, 1.0, 1.0, 1.0];
        let sources = [
            source("small", offset(ST.0, ST.1, 90.0, 2.0), Some(10.0)),
            source("big", offset(ST.0, ST.1, 270.0, 2.0), Some(30.0)),
            source("unknown", offset(ST.0, ST.1, 180.0, 2.0), None),
        ];
        let r = rank(ST.0, ST.1, &cpf, &sources, Config::default());
        let order: Vec<(&str, f64)> = r
            .iter()
            .map(|x| (x.id.as_str(), x.emission_weight))
            .collect();
        assert_eq!(order, [("big", 1.5), ("unknown", 1.0), ("small", 0.5)]);
    }

    #[test]
    fn a_sector_without_hours_gives_no_weight_and_ties_share_a_rank() {
        let v = [f64::NAN, 0.5, f64::NAN, 0.5];
        let sources = [
            source("n", offset(ST.0, ST.1, 0.0, 2.0), None),
            source("e", offset(ST.0, ST.1, 90.0, 2.0), None),
            source("w", offset(ST.0, ST.1, 270.0, 2.0), None),
        ];
        let r = rank(ST.0, ST.1, &v, &sources, Config::default());
        assert_eq!(r[2].id, "n");
        assert_eq!(r[2].sector_value, None);
        assert_eq!(r[2].score, 0.0);
        assert_eq!((r[0].rank, r[1].rank, r[2].rank), (1, 1, 3));
    }
}
