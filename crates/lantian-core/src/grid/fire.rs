//! Satellite fire points seen again on a later pass: when a new point is the same fire as a
//! task's, it is merged into that task (`duplicate_of`) instead of dispatching another.
//!
//! The rule: a point merges into a fire-point task when it lies within
//! [`MERGE_DISTANCE_KM`] of the task's point, or of a point already merged into it, **and**
//! within [`MERGE_WINDOW_H`] hours of that point (either direction: files arrive out of
//! order), and the task is not yet approved (审核通过). An approved task is done: a fire seen
//! there again is a new task. Among several candidates, the nearest point wins; equal
//! distances go to the lower task id. 1 km is the MODIS pixel (VIIRS pixels are 375 m, so
//! two VIIRS detections of one fire a pass apart fall well inside it); 12 h covers the
//! day and night passes of the same satellites.

/// Distance within which two detections are the same fire, km.
pub const MERGE_DISTANCE_KM: f64 = 1.0;
/// Time within which two detections are the same fire, hours.
pub const MERGE_WINDOW_H: i64 = 12;
/// Mean Earth radius, km.
pub const EARTH_RADIUS_KM: f64 = 6_371.008_8;

/// How close in space and time two detections must be to be one fire.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MergeRule {
    pub distance_km: f64,
    pub window_s: i64,
}

impl Default for MergeRule {
    fn default() -> MergeRule {
        MergeRule {
            distance_km: MERGE_DISTANCE_KM,
            window_s: MERGE_WINDOW_H * 3600,
        }
    }
}

/// A detection already belonging to a task: the task's own point or one merged into it.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub task: i64,
    pub lat: f64,
    pub lon: f64,
    /// When the satellite saw it, Unix seconds.
    pub at_unix_s: i64,
    /// Whether the task is approved (审核通过): approved tasks take no more points.
    pub approved: bool,
}

/// Great-circle distance, km (haversine).
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// The task a new detection is the same fire as, by [the rule](self), if any.
pub fn merge_target(
    rule: &MergeRule,
    lat: f64,
    lon: f64,
    at_unix_s: i64,
    seen: &[Seen],
) -> Option<i64> {
    seen.iter()
        .filter(|s| !s.approved && (s.at_unix_s - at_unix_s).abs() <= rule.window_s)
        .map(|s| (distance_km(lat, lon, s.lat, s.lon), s.task))
        .filter(|(d, _)| *d <= rule.distance_km)
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, task)| task)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    fn seen(task: i64, lat: f64, lon: f64, at: i64, approved: bool) -> Seen {
        Seen {
            task,
            lat,
            lon,
            at_unix_s: at,
            approved,
        }
    }

    #[test]
    fn haversine_agrees_with_a_degree_of_latitude() {
        // One degree of latitude is R·π/180 = 111.195 km on the mean sphere.
        let d = distance_km(38.0, 115.0, 39.0, 115.0);
        assert!((d - 111.195).abs() < 0.001, "{d}");
        // A degree of longitude at 38° is cos(38°) of that, to 0.1 % (great circle vs parallel).
        let d = distance_km(38.0, 115.0, 38.0, 116.0);
        assert!((d - 111.195 * 38f64.to_radians().cos()).abs() < 0.1, "{d}");
    }

    #[test]
    fn points_merge_within_1_km_and_12_h_of_an_unapproved_task_only() {
        let t0 = 1_741_583_880; // 2025-03-10 05:18 UTC
        // 0.0018° of latitude ≈ 200 m; 0.0099° ≈ 1.1 km.
        let known = vec![
            seen(1, 37.92, 115.21, t0, false),
            seen(2, 37.95, 115.30, t0, true),
            seen(3, 37.97, 115.21, t0 - 20 * H, false),
        ];
        let rule = MergeRule::default();
        let cases = [
            (
                "same fire 200 m away 90 min later",
                37.9218,
                115.21,
                t0 + 90 * 60,
                Some(1),
            ),
            (
                "same place 11 h earlier",
                37.92,
                115.21,
                t0 - 11 * H,
                Some(1),
            ),
            ("same place 13 h later", 37.92, 115.21, t0 + 13 * H, None),
            ("1.1 km away", 37.9299, 115.21, t0, None),
            ("at an approved task", 37.95, 115.30, t0, None),
            ("at a task seen 20 h before", 37.97, 115.21, t0, None),
        ];
        for (what, lat, lon, at, want) in cases {
            assert_eq!(merge_target(&rule, lat, lon, at, &known), want, "{what}");
        }
    }

    #[test]
    fn the_nearest_task_wins_and_ties_go_to_the_lower_id() {
        let t0 = 1_741_583_880;
        let rule = MergeRule::default();
        let known = vec![
            seen(7, 37.9236, 115.21, t0, false),
            seen(5, 37.9164, 115.21, t0, false),
            seen(9, 37.9210, 115.21, t0, false),
        ];
        assert_eq!(merge_target(&rule, 37.92, 115.21, t0, &known), Some(9));
        // 2⁻⁷° of longitude either side (exact in binary, so the distances are equal).
        let known = vec![
            seen(7, 37.92, 115.2578125, t0, false),
            seen(5, 37.92, 115.2421875, t0, false),
        ];
        assert_eq!(merge_target(&rule, 37.92, 115.25, t0, &known), Some(5));
    }
}
