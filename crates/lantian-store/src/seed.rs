//! Default data: Xinji City's 8 towns, 7 townships and development zone (spec §8).
//!
//! Coordinates are approximate seats, for the map until an administrator loads surveyed
//! ones; they are data, not code, and can be replaced with [`Store::upsert_admin_unit`].

use crate::Store;
use crate::error::StoreError;
use crate::model::AdminUnit;

/// The city itself (division code 130181).
pub const CITY_ID: &str = "130181";

/// (id, 中文名, English name, kind, approximate latitude, longitude)
pub const XINJI_UNITS: [(&str, &str, &str, &str, f64, f64); 16] = [
    ("xinji", "辛集镇", "Xinji Town", "town", 37.943, 115.218),
    (
        "jiucheng",
        "旧城镇",
        "Jiucheng Town",
        "town",
        37.905,
        115.300,
    ),
    (
        "xincheng",
        "新城镇",
        "Xincheng Town",
        "town",
        38.040,
        115.250,
    ),
    ("wangkou", "王口镇", "Wangkou Town", "town", 37.990, 115.400),
    (
        "nanzhiqiu",
        "南智邱镇",
        "Nanzhiqiu Town",
        "town",
        37.760,
        115.160,
    ),
    (
        "xinleitou",
        "新垒头镇",
        "Xinleitou Town",
        "town",
        37.985,
        115.140,
    ),
    ("weibo", "位伯镇", "Weibo Town", "town", 38.080, 115.370),
    (
        "zhangguzhuang",
        "张古庄镇",
        "Zhangguzhuang Town",
        "town",
        37.830,
        115.240,
    ),
    (
        "tianjiazhuang",
        "田家庄乡",
        "Tianjiazhuang Township",
        "township",
        37.895,
        115.150,
    ),
    (
        "xiaoxinzhuang",
        "小辛庄乡",
        "Xiaoxinzhuang Township",
        "township",
        37.700,
        115.250,
    ),
    (
        "zhonglixiang",
        "中里厢乡",
        "Zhonglixiang Township",
        "township",
        38.010,
        115.310,
    ),
    (
        "tiangongying",
        "天宫营乡",
        "Tiangongying Township",
        "township",
        37.800,
        115.350,
    ),
    (
        "qianying",
        "前营乡",
        "Qianying Township",
        "township",
        38.100,
        115.200,
    ),
    (
        "hemujing",
        "和睦井乡",
        "Hemujing Township",
        "township",
        37.670,
        115.180,
    ),
    (
        "mazhuang",
        "马庄乡",
        "Mazhuang Township",
        "township",
        37.880,
        115.410,
    ),
    (
        "devzone",
        "河北辛集经济开发区",
        "Hebei Xinji Economic Development Zone",
        "zone",
        37.930,
        115.260,
    ),
];

impl Store {
    /// Loads the default administrative units if none exist; returns how many were added.
    pub fn seed_defaults(&self) -> Result<usize, StoreError> {
        if !self.admin_units()?.is_empty() {
            return Ok(0);
        }
        self.upsert_admin_unit(&AdminUnit {
            id: CITY_ID.to_owned(),
            name_zh: "辛集市".to_owned(),
            name_en: "Xinji City".to_owned(),
            kind: "city".to_owned(),
            parent_id: None,
            lat: Some(37.943),
            lon: Some(115.218),
        })?;
        for (id, zh, en, kind, lat, lon) in XINJI_UNITS {
            self.upsert_admin_unit(&AdminUnit {
                id: id.to_owned(),
                name_zh: zh.to_owned(),
                name_en: en.to_owned(),
                kind: kind.to_owned(),
                parent_id: Some(CITY_ID.to_owned()),
                lat: Some(lat),
                lon: Some(lon),
            })?;
        }
        // The departments and bodies the plan names: units that accounts can belong to.
        for name in lantian_core::ledger::responsibility::KNOWN_UNITS {
            self.upsert_admin_unit(&AdminUnit {
                id: (*name).to_owned(),
                name_zh: (*name).to_owned(),
                name_en: (*name).to_owned(),
                kind: "department".to_owned(),
                parent_id: Some(CITY_ID.to_owned()),
                lat: None,
                lon: None,
            })?;
        }
        Ok(XINJI_UNITS.len() + 1 + lantian_core::ledger::responsibility::KNOWN_UNITS.len())
    }
}
