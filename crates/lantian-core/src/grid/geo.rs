//! Which township a point lies in: the county's unit polygons (with holes, several per unit)
//! prepared once with bounding boxes and a uniform grid of cells, then ray casting.
//!
//! The core has no JSON parser, so the county's GeoJSON is read in the application layer
//! (`lantian_app::firepoints::county_boundaries(app)`)
//! and arrives here as plain coordinates through [`Boundaries::new`].
//!
//! Coordinates are WGS 84 degrees, `[lon, lat]` in rings as in GeoJSON; [`Boundaries::locate`]
//! takes `(lat, lon)`. Distances are computed on a local equirectangular projection around
//! the query point, good to well under a metre at a county's scale.
//!
//! Rule for borders: a point within [`BORDER_M`] metres of the edges of two or more units
//! (or inside one and that close to another) is a [`Located::Border`] point; it goes to the
//! unit whose id sorts first, and the others are listed in `also`. A point inside no unit is
//! [`Located::Outside`] with the nearest unit and its distance, even when that distance is
//! smaller than [`BORDER_M`]: the county's outer line decides, not a tolerance.

/// Distance from a shared border within which a point counts as on the border, metres.
pub const BORDER_M: f64 = 50.0;
/// Metres per degree of latitude (mean Earth radius 6 371 008.8 m).
pub const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;
/// Cells per side of the uniform index grid over the county's bounding box.
pub const INDEX_CELLS_PER_SIDE: usize = 64;

/// A closed ring of `[lon, lat]` points; the closing point may be repeated or not.
pub type Ring = Vec<[f64; 2]>;

/// One polygon: an outer ring and its holes.
#[derive(Clone, Debug, PartialEq)]
pub struct Polygon {
    pub outer: Ring,
    pub holes: Vec<Ring>,
}

/// A bounding box in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    pub lon_min: f64,
    pub lat_min: f64,
    pub lon_max: f64,
    pub lat_max: f64,
}

impl BBox {
    fn empty() -> BBox {
        BBox {
            lon_min: f64::INFINITY,
            lat_min: f64::INFINITY,
            lon_max: f64::NEG_INFINITY,
            lat_max: f64::NEG_INFINITY,
        }
    }

    fn add(&mut self, p: [f64; 2]) {
        self.lon_min = self.lon_min.min(p[0]);
        self.lon_max = self.lon_max.max(p[0]);
        self.lat_min = self.lat_min.min(p[1]);
        self.lat_max = self.lat_max.max(p[1]);
    }

    fn union(&mut self, o: &BBox) {
        self.add([o.lon_min, o.lat_min]);
        self.add([o.lon_max, o.lat_max]);
    }

    fn grown(&self, dlon: f64, dlat: f64) -> BBox {
        BBox {
            lon_min: self.lon_min - dlon,
            lat_min: self.lat_min - dlat,
            lon_max: self.lon_max + dlon,
            lat_max: self.lat_max + dlat,
        }
    }

    /// Whether the point lies in the box (edges included).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        lon >= self.lon_min && lon <= self.lon_max && lat >= self.lat_min && lat <= self.lat_max
    }
}

/// Where a point lies.
#[derive(Clone, Debug, PartialEq)]
pub enum Located {
    /// Inside one unit, farther than [`BORDER_M`] from any other.
    Inside { unit: String },
    /// On a shared border: given to `unit` (the id that sorts first); `also` are the others
    /// within [`BORDER_M`], sorted.
    Border { unit: String, also: Vec<String> },
    /// In no unit: the nearest one (none when there are no units) and its distance.
    Outside {
        nearest_unit: Option<String>,
        distance_km: f64,
    },
}

impl Located {
    /// The unit the point goes to, if any.
    pub fn unit(&self) -> Option<&str> {
        match self {
            Located::Inside { unit } | Located::Border { unit, .. } => Some(unit),
            Located::Outside { .. } => None,
        }
    }
}

#[derive(Clone, Debug)]
struct Unit {
    id: String,
    polygons: Vec<Polygon>,
    bbox: BBox,
}

/// The prepared unit polygons with their index.
#[derive(Clone, Debug)]
pub struct Boundaries {
    /// Sorted by id, so that "the id that sorts first" is the lowest index.
    units: Vec<Unit>,
    bbox: BBox,
    border_m: f64,
    /// Degrees of longitude and latitude that [`BORDER_M`] spans at worst in the county.
    margin_lon_deg: f64,
    margin_lat_deg: f64,
    /// `INDEX_CELLS_PER_SIDE²` cells, row-major from (lon_min, lat_min): the units whose
    /// box, grown by the margin, meets the cell.
    cells: Vec<Vec<usize>>,
    cell_lon_deg: f64,
    cell_lat_deg: f64,
}

impl Boundaries {
    /// Prepares the units' polygons with the default [`BORDER_M`]. Several entries with the
    /// same id are joined. Refused: no units, an empty id, a ring of fewer than three
    /// distinct points, a coordinate that is not a finite longitude/latitude.
    pub fn new(units: Vec<(String, Vec<Polygon>)>) -> Result<Boundaries, String> {
        Boundaries::with_border_m(units, BORDER_M)
    }

    /// [`Boundaries::new`] with another border tolerance, metres.
    pub fn with_border_m(
        units: Vec<(String, Vec<Polygon>)>,
        border_m: f64,
    ) -> Result<Boundaries, String> {
        if !(border_m.is_finite() && border_m >= 0.0) {
            return Err(format!(
                "border tolerance {border_m} m: must be a finite number ≥ 0"
            ));
        }
        let mut by_id: std::collections::BTreeMap<String, Vec<Polygon>> = Default::default();
        for (id, polygons) in units {
            if id.trim().is_empty() {
                return Err("boundaries: a unit has an empty id".to_owned());
            }
            by_id.entry(id).or_default().extend(polygons);
        }
        if by_id.is_empty() {
            return Err("boundaries: no units".to_owned());
        }
        let mut prepared = Vec::with_capacity(by_id.len());
        let mut all = BBox::empty();
        for (id, polygons) in by_id {
            if polygons.is_empty() {
                return Err(format!("boundaries: unit {id} has no polygon"));
            }
            let mut bbox = BBox::empty();
            for (pi, poly) in polygons.iter().enumerate() {
                for (ri, ring) in std::iter::once(&poly.outer).chain(&poly.holes).enumerate() {
                    check_ring(ring).map_err(|why| {
                        let which = if ri == 0 {
                            "outer ring".to_owned()
                        } else {
                            format!("hole {ri}")
                        };
                        format!("boundaries: unit {id}, polygon {}, {which}: {why}", pi + 1)
                    })?;
                }
                for p in &poly.outer {
                    bbox.add(*p);
                }
            }
            all.union(&bbox);
            prepared.push(Unit { id, polygons, bbox });
        }
        let lat_abs_max = all.lat_min.abs().max(all.lat_max.abs()).min(89.0);
        let margin_lat_deg = border_m / M_PER_DEG;
        let margin_lon_deg = border_m / (M_PER_DEG * lat_abs_max.to_radians().cos());
        let n = INDEX_CELLS_PER_SIDE;
        let cell_lon_deg = ((all.lon_max - all.lon_min) / n as f64).max(1e-9);
        let cell_lat_deg = ((all.lat_max - all.lat_min) / n as f64).max(1e-9);
        let mut b = Boundaries {
            units: prepared,
            bbox: all,
            border_m,
            margin_lon_deg,
            margin_lat_deg,
            cells: vec![Vec::new(); n * n],
            cell_lon_deg,
            cell_lat_deg,
        };
        for (ui, u) in b.units.iter().enumerate() {
            let g = u.bbox.grown(margin_lon_deg, margin_lat_deg);
            let (c0, r0) = b.cell_of_clamped(g.lat_min, g.lon_min);
            let (c1, r1) = b.cell_of_clamped(g.lat_max, g.lon_max);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    b.cells[r * n + c].push(ui);
                }
            }
        }
        Ok(b)
    }

    /// The units' ids, sorted.
    pub fn unit_ids(&self) -> impl Iterator<Item = &str> {
        self.units.iter().map(|u| u.id.as_str())
    }

    /// The bounding box of all units.
    pub fn bbox(&self) -> BBox {
        self.bbox
    }

    /// The border tolerance in use, metres.
    pub fn border_m(&self) -> f64 {
        self.border_m
    }

    fn cell_of_clamped(&self, lat: f64, lon: f64) -> (usize, usize) {
        let n = INDEX_CELLS_PER_SIDE;
        let clamp = |v: f64| -> usize {
            if v.is_nan() || v < 0.0 {
                0
            } else {
                (v as usize).min(n - 1)
            }
        };
        (
            clamp((lon - self.bbox.lon_min) / self.cell_lon_deg),
            clamp((lat - self.bbox.lat_min) / self.cell_lat_deg),
        )
    }

    /// Which unit a point is in; a point on a shared border (within `BORDER_M` metres)
    /// goes to the unit whose id sorts first, and says so.
    pub fn locate(&self, lat: f64, lon: f64) -> Located {
        if !(lat.is_finite() && lon.is_finite()) {
            return Located::Outside {
                nearest_unit: None,
                distance_km: f64::INFINITY,
            };
        }
        let grown = self.bbox.grown(self.margin_lon_deg, self.margin_lat_deg);
        if grown.contains(lat, lon) {
            let (c, r) = self.cell_of_clamped(lat, lon);
            let mut inside: Option<usize> = None;
            // Units within the border tolerance, in index (= id) order.
            let mut near: Vec<usize> = Vec::new();
            for &ui in &self.cells[r * INDEX_CELLS_PER_SIDE + c] {
                let u = &self.units[ui];
                if !u
                    .bbox
                    .grown(self.margin_lon_deg, self.margin_lat_deg)
                    .contains(lat, lon)
                {
                    continue;
                }
                let is_inside = u.bbox.contains(lat, lon) && unit_contains(u, lat, lon);
                let is_near = unit_edge_distance_m(u, lat, lon) <= self.border_m;
                if is_inside && inside.is_none() {
                    inside = Some(ui);
                }
                if is_inside || is_near {
                    near.push(ui);
                }
            }
            near.sort_unstable();
            near.dedup();
            match (inside, near.len()) {
                (Some(ui), 0 | 1) => {
                    return Located::Inside {
                        unit: self.units[ui].id.clone(),
                    };
                }
                (_, n) if n >= 2 => {
                    let unit = self.units[near[0]].id.clone();
                    let also = near[1..]
                        .iter()
                        .map(|&i| self.units[i].id.clone())
                        .collect();
                    return Located::Border { unit, also };
                }
                _ => {}
            }
        }
        self.nearest(lat, lon)
    }

    /// The nearest unit to a point inside none, by distance to its edges.
    fn nearest(&self, lat: f64, lon: f64) -> Located {
        let mut best: Option<(f64, usize)> = None;
        // Units by the distance to their box, a lower bound of the distance to their edges.
        let mut order: Vec<(f64, usize)> = self
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| (bbox_distance_m(&u.bbox, lat, lon), i))
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (lower_m, ui) in order {
            if best.is_some_and(|(d, _)| lower_m > d) {
                break;
            }
            let d = unit_edge_distance_m(&self.units[ui], lat, lon);
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, ui));
            }
        }
        match best {
            Some((d, ui)) => Located::Outside {
                nearest_unit: Some(self.units[ui].id.clone()),
                distance_km: d / 1000.0,
            },
            None => Located::Outside {
                nearest_unit: None,
                distance_km: f64::INFINITY,
            },
        }
    }
}

fn check_ring(ring: &Ring) -> Result<(), String> {
    for p in ring {
        if !(p[0].is_finite() && p[1].is_finite() && p[0].abs() <= 180.0 && p[1].abs() <= 90.0) {
            return Err(format!(
                "point [{}, {}] is not a longitude/latitude in degrees",
                p[0], p[1]
            ));
        }
    }
    let mut distinct: Vec<[f64; 2]> = ring.clone();
    distinct.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    distinct.dedup();
    if distinct.len() < 3 {
        return Err(format!(
            "{} distinct points; a ring needs at least 3",
            distinct.len()
        ));
    }
    Ok(())
}

/// The segments of a ring, closed whether or not the last point repeats the first.
fn segments(ring: &Ring) -> impl Iterator<Item = ([f64; 2], [f64; 2])> + '_ {
    let n = ring.len();
    (0..n).map(move |i| (ring[i], ring[(i + 1) % n]))
}

/// Even-odd ray casting towards +longitude.
fn ring_contains(ring: &Ring, lat: f64, lon: f64) -> bool {
    let mut inside = false;
    for (a, b) in segments(ring) {
        if (a[1] > lat) != (b[1] > lat) {
            let x = a[0] + (lat - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if lon < x {
                inside = !inside;
            }
        }
    }
    inside
}

fn polygon_contains(p: &Polygon, lat: f64, lon: f64) -> bool {
    ring_contains(&p.outer, lat, lon) && !p.holes.iter().any(|h| ring_contains(h, lat, lon))
}

fn unit_contains(u: &Unit, lat: f64, lon: f64) -> bool {
    u.polygons.iter().any(|p| polygon_contains(p, lat, lon))
}

/// The distance from a point to the nearest edge (outer or hole) of a unit, metres.
fn unit_edge_distance_m(u: &Unit, lat: f64, lon: f64) -> f64 {
    let kx = M_PER_DEG * lat.to_radians().cos();
    let ky = M_PER_DEG;
    let mut best = f64::INFINITY;
    for p in &u.polygons {
        for ring in std::iter::once(&p.outer).chain(&p.holes) {
            for (a, b) in segments(ring) {
                let ax = (a[0] - lon) * kx;
                let ay = (a[1] - lat) * ky;
                let bx = (b[0] - lon) * kx;
                let by = (b[1] - lat) * ky;
                best = best.min(origin_segment_distance(ax, ay, bx, by));
            }
        }
    }
    best
}

/// Distance from the origin to the segment (a, b) in a plane.
fn origin_segment_distance(ax: f64, ay: f64, bx: f64, by: f64) -> f64 {
    let dx = bx - ax;
    let dy = by - ay;
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    };
    let px = ax + t * dx;
    let py = ay + t * dy;
    (px * px + py * py).sqrt()
}

/// Distance from a point to a box, metres (0 inside); a lower bound of the distance to any
/// edge within the box when the point is outside it.
fn bbox_distance_m(b: &BBox, lat: f64, lon: f64) -> f64 {
    let dlon = if lon < b.lon_min {
        b.lon_min - lon
    } else if lon > b.lon_max {
        lon - b.lon_max
    } else {
        0.0
    };
    let dlat = if lat < b.lat_min {
        b.lat_min - lat
    } else if lat > b.lat_max {
        lat - b.lat_max
    } else {
        0.0
    };
    // The smallest cosine over the box's latitudes keeps this a lower bound.
    let lat_far = b
        .lat_min
        .abs()
        .max(b.lat_max.abs())
        .max(lat.abs())
        .min(90.0);
    let kx = M_PER_DEG * lat_far.to_radians().cos();
    ((dlon * kx).powi(2) + (dlat * M_PER_DEG).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lon0: f64, lat0: f64, side: f64) -> Ring {
        vec![
            [lon0, lat0],
            [lon0 + side, lat0],
            [lon0 + side, lat0 + side],
            [lon0, lat0 + side],
            [lon0, lat0],
        ]
    }

    /// Two 0.1° squares sharing the edge lon = 115.3 near Xinji; "b" has a hole
    /// (115.35..115.37, 38.03..38.05) and "c" fills half of that hole.
    fn fixture() -> Boundaries {
        let hole = square(115.35, 38.03, 0.02);
        Boundaries::new(vec![
            (
                "b".to_owned(),
                vec![Polygon {
                    outer: square(115.3, 38.0, 0.1),
                    holes: vec![hole],
                }],
            ),
            (
                "a".to_owned(),
                vec![Polygon {
                    outer: square(115.2, 38.0, 0.1),
                    holes: vec![],
                }],
            ),
            (
                "c".to_owned(),
                vec![Polygon {
                    outer: vec![
                        [115.35, 38.03],
                        [115.36, 38.03],
                        [115.36, 38.05],
                        [115.35, 38.05],
                    ],
                    holes: vec![],
                }],
            ),
        ])
        .unwrap()
    }

    fn inside(u: &str) -> Located {
        Located::Inside { unit: u.to_owned() }
    }

    #[test]
    fn points_go_to_their_square_and_shared_edges_to_the_first_id() {
        let b = fixture();
        // 50 m of longitude at 38° is about 0.00057°.
        let cases: Vec<(f64, f64, Located)> = vec![
            (38.05, 115.25, inside("a")),
            (38.05, 115.32, inside("b")),
            // Exactly on the shared edge, from either side, and within 50 m.
            (
                38.05,
                115.3,
                Located::Border {
                    unit: "a".into(),
                    also: vec!["b".into()],
                },
            ),
            (
                38.05,
                115.3004,
                Located::Border {
                    unit: "a".into(),
                    also: vec!["b".into()],
                },
            ),
            (
                38.05,
                115.2996,
                Located::Border {
                    unit: "a".into(),
                    also: vec!["b".into()],
                },
            ),
            // 70 m away from the edge: inside.
            (38.05, 115.3008, inside("b")),
            (38.05, 115.2992, inside("a")),
            // A shared corner of "a" and "b" on the county's outline.
            (
                38.0,
                115.3,
                Located::Border {
                    unit: "a".into(),
                    also: vec!["b".into()],
                },
            ),
            // In "b"'s hole: the half filled by "c", and the empty half.
            (38.04, 115.355, inside("c")),
            // On the line between "c" and "b"'s hole edge.
            (
                38.04,
                115.35,
                Located::Border {
                    unit: "b".into(),
                    also: vec!["c".into()],
                },
            ),
        ];
        for (lat, lon, want) in cases {
            assert_eq!(b.locate(lat, lon), want, "at {lat}, {lon}");
        }
    }

    #[test]
    fn a_point_in_an_empty_hole_is_outside_near_the_holed_unit() {
        let b = fixture();
        match b.locate(38.04, 115.367) {
            Located::Outside {
                nearest_unit,
                distance_km,
            } => {
                assert_eq!(nearest_unit.as_deref(), Some("b"));
                // 0.003° of longitude to the hole's east edge (115.37); "c" is 0.007° away.
                let want_km = 0.003 * M_PER_DEG * 38.04f64.to_radians().cos() / 1000.0;
                assert!(
                    (distance_km - want_km).abs() < 1e-6,
                    "{distance_km} vs {want_km}"
                );
            }
            other => panic!("expected outside, got {other:?}"),
        }
    }

    #[test]
    fn points_outside_name_the_nearest_unit_and_its_distance() {
        let b = fixture();
        let cases = [
            // 0.1° south of "a": 0.1 × 111.195 km.
            (37.9, 115.25, "a", 0.1 * M_PER_DEG / 1000.0),
            // Far east of "b": 0.1° of longitude at 38.05°.
            (
                38.05,
                115.5,
                "b",
                0.1 * M_PER_DEG * 38.05f64.to_radians().cos() / 1000.0,
            ),
            // 20 m outside the outline: still outside (the outline decides).
            (38.0 - 20.0 / M_PER_DEG, 115.25, "a", 0.02),
        ];
        for (lat, lon, unit, km) in cases {
            match b.locate(lat, lon) {
                Located::Outside {
                    nearest_unit,
                    distance_km,
                } => {
                    assert_eq!(nearest_unit.as_deref(), Some(unit), "at {lat}, {lon}");
                    assert!(
                        (distance_km - km).abs() < 1e-3,
                        "at {lat}, {lon}: {distance_km} vs {km}"
                    );
                }
                other => panic!("at {lat}, {lon}: expected outside, got {other:?}"),
            }
        }
    }

    #[test]
    fn the_index_agrees_with_a_scan_of_every_unit() {
        // A 7×5 checkerboard of units; a deterministic walk of points over and around it.
        let mut units = Vec::new();
        for i in 0..7 {
            for j in 0..5 {
                units.push((
                    format!("u{i}{j}"),
                    vec![Polygon {
                        outer: square(115.0 + i as f64 * 0.05, 37.9 + j as f64 * 0.05, 0.05),
                        holes: vec![],
                    }],
                ));
            }
        }
        let b = Boundaries::with_border_m(units, 0.0).unwrap();
        let mut x: u64 = 12345;
        for _ in 0..2000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let lon = 114.95 + (x >> 11) as f64 / (1u64 << 53) as f64 * 0.45;
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let lat = 37.85 + (x >> 11) as f64 / (1u64 << 53) as f64 * 0.35;
            let scan: Vec<&str> = b
                .units
                .iter()
                .filter(|u| unit_contains(u, lat, lon))
                .map(|u| u.id.as_str())
                .collect();
            let got = b.locate(lat, lon);
            match scan.as_slice() {
                [] => assert!(
                    matches!(got, Located::Outside { .. }),
                    "{lat},{lon}: {got:?}"
                ),
                [one] => assert_eq!(got.unit(), Some(*one), "{lat},{lon}"),
                many => panic!("{lat},{lon} in {many:?}"),
            }
        }
    }

    #[test]
    fn bad_rings_are_refused_with_where_and_why() {
        let cases = [
            (vec![], "no units"),
            (
                vec![(
                    "x".to_owned(),
                    vec![Polygon {
                        outer: vec![[1.0, 1.0], [2.0, 2.0]],
                        holes: vec![],
                    }],
                )],
                "unit x, polygon 1, outer ring: 2 distinct points",
            ),
            (
                vec![(
                    "x".to_owned(),
                    vec![Polygon {
                        outer: vec![[1.0, 1.0], [2.0, 2.0], [f64::NAN, 0.0]],
                        holes: vec![],
                    }],
                )],
                "is not a longitude/latitude",
            ),
            (
                vec![(
                    " ".to_owned(),
                    vec![Polygon {
                        outer: square(1.0, 1.0, 1.0),
                        holes: vec![],
                    }],
                )],
                "empty id",
            ),
        ];
        for (units, want) in cases {
            let err = Boundaries::new(units).unwrap_err();
            assert!(err.contains(want), "{err} should contain {want}");
        }
    }
}
