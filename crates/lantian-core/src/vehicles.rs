//! Vehicles at an enterprise's gate (门禁): what a gate record's Chinese cells mean (vehicle
//! class, emission standard, fuel), which heavy-truck trips are clean transport (新能源 or
//! 国六, plan §7(二)), and which trucks may not haul during a heavy-pollution warning (diesel
//! below 国五).

use serde::{Deserialize, Serialize};

crate::org::named_enum! {
    /// What a vehicle is, as far as clean transport is concerned.
    VehicleClass {
        /// 重型货车 and heavy tractors (重型半挂牵引车, 重型自卸货车 …): the trucks counted.
        HeavyTruck = "heavy_truck",
        /// 中型货车, 轻型货车, 微型货车.
        OtherTruck = "other_truck",
        /// 非道路移动机械 (loaders, forklifts) at the gate.
        NonRoad = "non_road",
        /// Cars, buses and anything else.
        Other = "other",
    }
}

crate::org::named_enum! {
    /// Which way a vehicle passed the gate.
    Direction {
        /// 进厂: a trip.
        In = "in",
        /// 出厂.
        Out = "out",
    }
}

impl Direction {
    pub fn name_zh(self) -> &'static str {
        match self {
            Direction::In => "进",
            Direction::Out => "出",
        }
    }

    /// Reads 进, 入, 进厂, 入场, in; 出, 出厂, 离场, out.
    pub fn parse_zh(text: &str) -> Option<Direction> {
        let t = text.trim();
        if let Some(d) = Direction::parse(&t.to_lowercase()) {
            return Some(d);
        }
        if t.contains('进') || t.contains('入') {
            Some(Direction::In)
        } else if t.contains('出') || t.contains('离') {
            Some(Direction::Out)
        } else {
            None
        }
    }
}

crate::org::named_enum! {
    /// A vehicle's fuel.
    Fuel {
        Diesel = "diesel",
        Gasoline = "gasoline",
        /// 天然气 (CNG/LNG).
        Gas = "gas",
        Electric = "electric",
        Hydrogen = "hydrogen",
        Hybrid = "hybrid",
        Other = "other",
    }
}

/// A vehicle's emission standard: 国N (China stage N, 0–6) or new energy (新能源).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Standard {
    China(u8),
    NewEnergy,
}

impl Standard {
    /// The stored and displayed name: `国0`…`国6` or `新能源`.
    pub fn name(self) -> String {
        match self {
            Standard::China(n) => format!("国{n}"),
            Standard::NewEnergy => "新能源".to_owned(),
        }
    }

    /// Reads 国五, 国5, 国V, 国Ⅴ, 国 VI, China 6, 新能源, 纯电动 …; `None` for anything else.
    pub fn parse(text: &str) -> Option<Standard> {
        let t: String = text.split_whitespace().collect::<String>().to_uppercase();
        if [
            "新能源",
            "NEWENERGY",
            "NEV",
            "纯电动",
            "电动",
            "燃料电池",
            "氢燃料",
        ]
        .iter()
        .any(|k| t == *k)
        {
            return Some(Standard::NewEnergy);
        }
        let rest = t
            .strip_prefix("国")
            .or_else(|| t.strip_prefix("CHINA"))
            .or_else(|| t.strip_prefix("CN"))?;
        let rest = rest.trim_end_matches("排放").trim_end_matches("标准");
        let n = match rest {
            "0" | "零" => 0,
            "1" | "一" | "I" | "Ⅰ" => 1,
            "2" | "二" | "II" | "Ⅱ" => 2,
            "3" | "三" | "III" | "Ⅲ" => 3,
            "4" | "四" | "IV" | "Ⅳ" => 4,
            "5" | "五" | "V" | "Ⅴ" => 5,
            "6" | "六" | "VI" | "Ⅵ" | "6A" | "6B" | "六A" | "六B" | "VIA" | "VIB" => 6,
            _ => return None,
        };
        Some(Standard::China(n))
    }
}

impl From<Standard> for String {
    fn from(s: Standard) -> String {
        s.name()
    }
}

impl TryFrom<String> for Standard {
    type Error = String;
    fn try_from(s: String) -> Result<Standard, String> {
        Standard::parse(&s).ok_or_else(|| format!("{s:?} is not an emission standard"))
    }
}

impl VehicleClass {
    /// Reads a gate system's vehicle type: 重型… is a heavy truck (a 重型 car does not exist),
    /// 中型/轻型/微型 trucks, 非道路…, anything else other.
    pub fn parse_zh(text: &str) -> VehicleClass {
        let t = text.trim();
        if let Some(c) = VehicleClass::parse(t) {
            return c;
        }
        let truck = ["货", "牵引", "自卸", "罐", "挂", "专项作业"]
            .iter()
            .any(|k| t.contains(k));
        if t.contains("非道路") || t.contains("机械") {
            VehicleClass::NonRoad
        } else if t.starts_with("重型") || t.starts_with("重") && truck {
            VehicleClass::HeavyTruck
        } else if truck {
            VehicleClass::OtherTruck
        } else {
            VehicleClass::Other
        }
    }
}

impl Fuel {
    pub fn name_zh(self) -> &'static str {
        match self {
            Fuel::Diesel => "柴油",
            Fuel::Gasoline => "汽油",
            Fuel::Gas => "天然气",
            Fuel::Electric => "电",
            Fuel::Hydrogen => "氢",
            Fuel::Hybrid => "混合动力",
            Fuel::Other => "其他",
        }
    }

    /// Reads 柴油, 汽油, 天然气/LNG/CNG, 电/纯电, 氢, 混合动力/插电; anything else other.
    pub fn parse_zh(text: &str) -> Fuel {
        let t = text.trim().to_uppercase();
        if let Some(f) = Fuel::parse(&t.to_lowercase()) {
            return f;
        }
        if t.contains("混合") || t.contains("插电") {
            Fuel::Hybrid
        } else if t.contains("柴油") {
            Fuel::Diesel
        } else if t.contains("汽油") {
            Fuel::Gasoline
        } else if t.contains("天然气") || t.contains("LNG") || t.contains("CNG") {
            Fuel::Gas
        } else if t.contains("氢") {
            Fuel::Hydrogen
        } else if t.contains("电") {
            Fuel::Electric
        } else {
            Fuel::Other
        }
    }
}

/// Whether a heavy-truck trip counts as clean transport: new energy, or China stage 6.
pub fn is_clean(standard: Standard) -> bool {
    matches!(standard, Standard::NewEnergy | Standard::China(6))
}

/// Whether a truck may not haul during a heavy-pollution warning: a diesel truck below 国五.
pub fn barred_in_warning(class: VehicleClass, fuel: Fuel, standard: Standard) -> bool {
    matches!(class, VehicleClass::HeavyTruck | VehicleClass::OtherTruck)
        && fuel == Fuel::Diesel
        && matches!(standard, Standard::China(n) if n < 5)
}

/// A month's clean-transport share: clean heavy-truck entries of all heavy-truck entries.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Share {
    pub heavy_trips: u32,
    pub clean_trips: u32,
    /// Per cent, one decimal; `None` without heavy-truck trips.
    pub share_pct: Option<f64>,
}

/// The share of clean trips among the heavy-truck trips given by their standards.
pub fn share(heavy_trip_standards: impl IntoIterator<Item = Standard>) -> Share {
    let (mut heavy, mut clean) = (0u32, 0u32);
    for s in heavy_trip_standards {
        heavy += 1;
        clean += u32::from(is_clean(s));
    }
    Share {
        heavy_trips: heavy,
        clean_trips: clean,
        share_pct: (heavy > 0)
            .then(|| (1000.0 * f64::from(clean) / f64::from(heavy)).round() / 10.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standards_are_read_in_the_ways_gate_systems_write_them() {
        for (text, want) in [
            ("国五", Some(Standard::China(5))),
            ("国5", Some(Standard::China(5))),
            ("国Ⅴ", Some(Standard::China(5))),
            ("国 VI", Some(Standard::China(6))),
            ("国六b", Some(Standard::China(6))),
            ("国四排放", Some(Standard::China(4))),
            ("China 3", Some(Standard::China(3))),
            ("新能源", Some(Standard::NewEnergy)),
            ("纯电动", Some(Standard::NewEnergy)),
            ("国七", None),
            ("", None),
            ("五", None),
        ] {
            assert_eq!(Standard::parse(text), want, "{text}");
        }
    }

    #[test]
    fn vehicle_types_and_fuels_are_classed() {
        for (text, want) in [
            ("重型半挂牵引车", VehicleClass::HeavyTruck),
            ("重型自卸货车", VehicleClass::HeavyTruck),
            ("重型厢式货车", VehicleClass::HeavyTruck),
            ("中型货车", VehicleClass::OtherTruck),
            ("轻型厢式货车", VehicleClass::OtherTruck),
            ("小型轿车", VehicleClass::Other),
            ("非道路移动机械", VehicleClass::NonRoad),
            ("heavy_truck", VehicleClass::HeavyTruck),
        ] {
            assert_eq!(VehicleClass::parse_zh(text), want, "{text}");
        }
        for (text, want) in [
            ("柴油", Fuel::Diesel),
            ("LNG", Fuel::Gas),
            ("天然气", Fuel::Gas),
            ("纯电", Fuel::Electric),
            ("插电式混合动力", Fuel::Hybrid),
            ("氢燃料电池", Fuel::Hydrogen),
            ("汽油", Fuel::Gasoline),
            ("", Fuel::Other),
        ] {
            assert_eq!(Fuel::parse_zh(text), want, "{text}");
        }
    }

    #[test]
    fn directions_are_read_in_chinese_and_english() {
        for (text, want) in [
            ("进", Some(Direction::In)),
            ("进厂", Some(Direction::In)),
            ("入场", Some(Direction::In)),
            ("OUT", Some(Direction::Out)),
            ("出厂", Some(Direction::Out)),
            ("离场", Some(Direction::Out)),
            ("过", None),
        ] {
            assert_eq!(Direction::parse_zh(text), want, "{text}");
        }
    }

    #[test]
    fn the_share_counts_new_energy_and_china_6_and_rounds_to_one_decimal() {
        let s = share([Standard::China(6), Standard::NewEnergy, Standard::China(5)]);
        assert_eq!(
            (s.heavy_trips, s.clean_trips, s.share_pct),
            (3, 2, Some(66.7))
        );
        assert_eq!(share([]).share_pct, None);
    }

    #[test]
    fn only_diesel_trucks_below_china_5_are_barred_in_a_warning() {
        use VehicleClass::*;
        assert!(barred_in_warning(
            HeavyTruck,
            Fuel::Diesel,
            Standard::China(4)
        ));
        assert!(barred_in_warning(
            OtherTruck,
            Fuel::Diesel,
            Standard::China(3)
        ));
        assert!(!barred_in_warning(
            HeavyTruck,
            Fuel::Diesel,
            Standard::China(5)
        ));
        assert!(!barred_in_warning(
            HeavyTruck,
            Fuel::Gas,
            Standard::China(4)
        ));
        assert!(!barred_in_warning(Other, Fuel::Diesel, Standard::China(4)));
    }
}
