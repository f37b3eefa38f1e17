//! Typed codes of HJ 212: system codes (ST), command codes (CN), the Flag field, data
//! flags, and pollutant codes with the HJ/T 212-2005 aliases.

/// The protocol edition, read from the Flag version bits (never from the date).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Edition {
    /// HJ/T 212-2005: version bits 000000 (or no Flag at all).
    Hj212_2005,
    /// HJ 212-2017: version bits 000001.
    Hj212_2017,
    /// HJ 212-2025: version bits 000010 (provisional, spec §6.14).
    Hj212_2025,
    /// Any other version bits, kept as they came.
    Unknown(u8),
}

impl Edition {
    pub fn name(self) -> &'static str {
        match self {
            Edition::Hj212_2005 => "HJ/T 212-2005",
            Edition::Hj212_2017 => "HJ 212-2017",
            Edition::Hj212_2025 => "HJ 212-2025",
            Edition::Unknown(_) => "unknown",
        }
    }

    /// The Flag base (version bits shifted into place) used when replying.
    pub fn flag_base(self) -> u8 {
        match self {
            Edition::Hj212_2005 => 0,
            Edition::Hj212_2017 => 4,
            Edition::Hj212_2025 => 8,
            Edition::Unknown(v) => v << 2,
        }
    }
}

/// The Flag field: `V5 V4 V3 V2 V1 V0 D A`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Flag(pub u8);

impl Flag {
    /// A: the command needs an answer.
    pub fn needs_ack(self) -> bool {
        self.0 & 1 != 0
    }

    /// D: the packet carries PNUM/PNO.
    pub fn is_split(self) -> bool {
        self.0 & 2 != 0
    }

    pub fn edition(self) -> Edition {
        match self.0 >> 2 {
            0 => Edition::Hj212_2005,
            1 => Edition::Hj212_2017,
            2 => Edition::Hj212_2025,
            v => Edition::Unknown(v),
        }
    }

    pub fn new(edition: Edition, split: bool, needs_ack: bool) -> Flag {
        Flag(edition.flag_base() | (u8::from(split) << 1) | u8::from(needs_ack))
    }
}

/// A data flag of HJ 212-2017 Table 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataFlag {
    /// N: normal. Only N data enter statistics by default.
    Normal,
    /// F: stopped.
    Stopped,
    /// M: maintenance.
    Maintenance,
    /// S: manually set.
    Manual,
    /// D: fault.
    Fault,
    /// C: calibration.
    Calibration,
    /// T: over range.
    OverRange,
    /// B: data-logger communication fault.
    CommFault,
}

impl DataFlag {
    pub fn parse(text: &str) -> Option<DataFlag> {
        Some(match text.as_bytes() {
            b"N" => DataFlag::Normal,
            b"F" => DataFlag::Stopped,
            b"M" => DataFlag::Maintenance,
            b"S" => DataFlag::Manual,
            b"D" => DataFlag::Fault,
            b"C" => DataFlag::Calibration,
            b"T" => DataFlag::OverRange,
            b"B" => DataFlag::CommFault,
            _ => return None,
        })
    }

    pub fn letter(self) -> char {
        match self {
            DataFlag::Normal => 'N',
            DataFlag::Stopped => 'F',
            DataFlag::Maintenance => 'M',
            DataFlag::Manual => 'S',
            DataFlag::Fault => 'D',
            DataFlag::Calibration => 'C',
            DataFlag::OverRange => 'T',
            DataFlag::CommFault => 'B',
        }
    }
}

/// What a system code (ST) stands for (HJ 212-2017 Table 5).
pub fn system_name(st: &str) -> Option<&'static str> {
    Some(match st {
        "21" => "surface water quality",
        "22" => "ambient air quality",
        "23" => "acoustic environment",
        "24" => "groundwater",
        "25" => "soil",
        "26" => "seawater",
        "27" => "VOC monitoring",
        "31" => "atmospheric pollution source (flue gas)",
        "32" => "surface-water pollution source",
        "33" => "groundwater pollution source",
        "34" => "marine pollution source",
        "35" => "soil pollution source",
        "36" => "noise pollution source",
        "37" => "vibration source",
        "38" => "radioactive source",
        "39" => "construction-site dust",
        "41" => "electromagnetic source",
        "44" => "electricity monitoring (2025)",
        "45" => "key production conditions (2025)",
        "51" => "flue-gas process (working-condition) monitoring",
        "52" => "wastewater process monitoring",
        "91" => "system interaction",
        _ => return None,
    })
}

/// The class of a command code, by its range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommandClass {
    Initialisation,
    Data,
    Control,
    Interaction,
    Other,
}

/// A command code (CN).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Command(pub u16);

impl Command {
    pub const SET_TIMEOUT_RETRY: Command = Command(1000);
    pub const GET_TIME: Command = Command(1011);
    pub const SET_TIME: Command = Command(1012);
    pub const TIME_CALIBRATION_REQUEST: Command = Command(1013);
    pub const GET_RTD_INTERVAL: Command = Command(1061);
    pub const SET_RTD_INTERVAL: Command = Command(1062);
    pub const GET_MIN_INTERVAL: Command = Command(1063);
    pub const SET_MIN_INTERVAL: Command = Command(1064);
    pub const REALTIME_DATA: Command = Command(2011);
    pub const STOP_REALTIME: Command = Command(2012);
    pub const FACILITY_STATUS: Command = Command(2021);
    pub const STOP_FACILITY_STATUS: Command = Command(2022);
    pub const DAILY_DATA: Command = Command(2031);
    pub const FACILITY_RUN_TIME: Command = Command(2041);
    pub const MINUTE_DATA: Command = Command(2051);
    pub const HOURLY_DATA: Command = Command(2061);
    pub const LOGGER_BOOT: Command = Command(2081);
    pub const REQUEST_ANSWER: Command = Command(9011);
    pub const EXECUTION_RESULT: Command = Command(9012);
    pub const NOTICE_ANSWER: Command = Command(9013);
    pub const DATA_ANSWER: Command = Command(9014);
    pub const HEARTBEAT_2025: Command = Command(9015);
    pub const UPLOAD_SERIAL_2025: Command = Command(1001);
    pub const SET_MN_2025: Command = Command(1002);
    pub const NEW_SESSION_KEY_2025: Command = Command(1014);
    pub const RAW_DATA_2025: Command = Command(2013);
    pub const STANDARD_CHECK_2025: Command = Command(2062);

    pub fn class(self) -> CommandClass {
        match self.0 {
            1000..=1999 => CommandClass::Initialisation,
            2000..=2999 => CommandClass::Data,
            3000..=3999 => CommandClass::Control,
            9000..=9999 => CommandClass::Interaction,
            _ => CommandClass::Other,
        }
    }

    /// Uploads that carry monitoring values.
    pub fn carries_data(self) -> bool {
        matches!(
            self.0,
            2011 | 2021 | 2031 | 2041 | 2051 | 2061 | 2013 | 2052 | 2062 | 2111
        )
    }

    /// Notices answered with 9013.
    pub fn is_notice(self) -> bool {
        matches!(self.0, 1013 | 2012 | 2022 | 2081)
    }

    /// The command's meaning (HJ 212-2017 Table 9; HJ 212-2025 codes are provisional).
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1000 => "set timeout and retries",
            1001 => "upload logger hardware serial (2025)",
            1002 => "set logger MN (2025)",
            1011 => "get or upload field-machine time",
            1012 => "set field-machine time",
            1013 => "time calibration request",
            1014 => "session key exchange (2025)",
            1061 => "get real-time data interval",
            1062 => "set real-time data interval",
            1063 => "get minute-data interval",
            1064 => "set minute-data interval",
            1072 => "set access password",
            2011 => "real-time data",
            2012 => "stop real-time data",
            2013 => "raw monitoring data (2025)",
            2021 => "facility running status",
            2022 => "stop facility status",
            2031 => "daily data",
            2041 => "facility daily run time",
            2051 => "minute data",
            2052 => "single noise measurement (2025)",
            2061 => "hourly data",
            2062 => "standard-check data (2025)",
            2081 => "data-logger boot time",
            2111 => "furnace temperature 5-min mean (2025)",
            3011 => "zero/span calibration",
            3012 => "immediate sampling",
            3013 => "start cleaning or back-blow",
            3014 => "comparison sampling",
            3015 => "over-limit sample retention",
            3016 => "set sampling period",
            3017 => "get sampling period",
            3018 => "get sample-output time",
            3019 => "get instrument unique id",
            3020 => "get or upload field-machine info",
            3021 => "set field-machine parameters",
            3022 => "immediate sample-retention task (2025)",
            3024 => "start standard check (2025)",
            9011 => "request answer",
            9012 => "execution result",
            9013 => "notice answer",
            9014 => "data answer",
            9015 => "heartbeat (2025)",
            _ => return None,
        })
    }
}

/// HJ/T 212-2005 codes and the HJ 212-2017 codes they became (HJ 212-2017 Table B.2).
const ALIASES_2005: &[(&str, &str)] = &[
    ("01", "a34013"),
    ("02", "a21026"),
    ("03", "a21002"),
    ("04", "a21005"),
    ("S01", "a19001"),
    ("S02", "a01011"),
    ("S03", "a01012"),
    ("S04", "a01017"),
    ("S05", "a01014"),
    ("S06", "a01015"),
    ("S07", "a01016"),
    ("S08", "a01013"),
    ("B01", "w00000"),
    ("B02", "a00000"),
    ("001", "w01001"),
    ("011", "w01018"),
    ("060", "w21003"),
    ("101", "w21011"),
];

/// HJ 212-2017 codes Lantian knows by name (HJ 212-2017 Table B.2, HJ 524, vendor codes
/// seen in real ambient packets).
const KNOWN_2017: &[(&str, &str)] = &[
    ("a34004", "PM2.5"),
    ("a34002", "PM10"),
    ("a34001", "TSP"),
    ("a34005", "PM1.0"),
    ("a21026", "SO2"),
    ("a21004", "NO2"),
    ("a21002", "NOx"),
    ("a21003", "NO"),
    ("a21005", "CO"),
    ("a05024", "O3"),
    ("a0502401", "O3 1-h (vendor)"),
    ("a0502408", "O3 8-h (vendor)"),
    ("a3400224", "PM10 24-h (vendor)"),
    ("a3400424", "PM2.5 24-h (vendor)"),
    ("a24088", "NMHC"),
    ("a24087", "hydrocarbons"),
    ("a05002", "CH4"),
    ("a21001", "NH3"),
    ("a21028", "H2S"),
    ("a34013", "smoke dust"),
    ("a19001", "O2"),
    ("a00000", "flue-gas flow"),
    ("a01001", "temperature"),
    ("a01002", "humidity"),
    ("a01006", "air pressure"),
    ("a01007", "wind speed"),
    ("a01008", "wind direction"),
    ("a01011", "flue-gas velocity"),
    ("a01012", "flue-gas temperature"),
    ("a01013", "flue-gas pressure"),
    ("a01014", "flue-gas humidity"),
    ("a01015", "cooling temperature"),
    ("a01016", "duct cross-section"),
    ("a01017", "dynamic pressure"),
    ("a01901", "furnace temperature 1"),
    ("a01902", "furnace temperature 2"),
    ("l01001", "longitude (vendor)"),
    ("l01002", "latitude (vendor)"),
    ("w00000", "wastewater flow"),
    ("w01018", "COD"),
    ("w21003", "ammonia nitrogen"),
    ("w01001", "pH"),
    ("w21011", "total phosphorus"),
];

/// The HJ 212-2017 form of a pollutant code: 2005 aliases are translated, 2017 codes pass.
pub fn canonical_code(code: &str) -> &str {
    if code.len() > 3 {
        return code;
    }
    ALIASES_2005
        .iter()
        .find(|(old, _)| *old == code)
        .map_or(code, |(_, new)| new)
}

/// Whether `code` is an HJ/T 212-2005 code.
pub fn is_2005_code(code: &str) -> bool {
    code.len() <= 3 && ALIASES_2005.iter().any(|(old, _)| *old == code)
}

/// The name of a known code (after translating 2005 aliases).
pub fn code_name(code: &str) -> Option<&'static str> {
    let key = packed(canonical_code(code))?;
    let table = KNOWN_BY_KEY.get_or_init(|| {
        let mut t: Vec<(u64, &'static str)> = KNOWN_2017
            .iter()
            .filter_map(|(c, n)| Some((packed(c)?, *n)))
            .collect();
        t.sort_unstable_by_key(|(k, _)| *k);
        t
    });
    table
        .binary_search_by_key(&key, |(k, _)| *k)
        .ok()
        .map(|i| table[i].1)
}

/// Known codes by [`packed`] key, sorted for binary search (built once).
static KNOWN_BY_KEY: std::sync::OnceLock<Vec<(u64, &'static str)>> = std::sync::OnceLock::new();

/// A code of up to 8 bytes packed into an integer, for cheap comparison.
fn packed(code: &str) -> Option<u64> {
    (code.len() <= 8)
        .then(|| code.bytes().fold(0u64, |k, b| k << 8 | u64::from(b)) | (code.len() as u64) << 60)
}

/// A code of a family the standard defines by prefix: treatment facilities (`SBn`),
/// working-condition (`e…`, `g…`), site-information (`i…`) codes, and the HJ 212-2025
/// electricity (`d2…` production facilities, `d3…` treatment facilities) and key
/// production-condition (`p991…`) codes.
pub fn is_family_code(code: &str) -> bool {
    let b = code.as_bytes();
    (code.starts_with("SB") && b.len() > 2 && b[2..].iter().all(u8::is_ascii_alphanumeric))
        || (matches!(b.first(), Some(b'e' | b'g' | b'i' | b'd' | b'p'))
            && b.len() >= 5
            && b[1..].iter().all(u8::is_ascii_digit)
            && (!matches!(b[0], b'd') || matches!(b[1], b'2' | b'3'))
            && (b[0] != b'p' || code.starts_with("p991")))
}

/// Chinese and English names of the HJ 212-2025 code families (ST=44 electricity, ST=45
/// key production conditions; one public source, provisional): `d2xxxx` a production
/// facility's electricity, `d3xxxx` a treatment facility's, `p991xx` a production condition.
pub fn family_name_2025(code: &str) -> Option<(&'static str, &'static str)> {
    if !is_family_code(code) {
        return None;
    }
    match code.as_bytes().first() {
        Some(b'd') if code.starts_with("d2") => {
            Some(("生产设施用电", "production facility electricity"))
        }
        Some(b'd') => Some(("治理设施用电", "treatment facility electricity")),
        Some(b'p') => Some(("关键生产工况", "key production condition")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checklist §10 item 35.
    #[test]
    fn flag_bits_decode_edition_ack_and_split() {
        let cases = [
            (4, Edition::Hj212_2017, false, false),
            (5, Edition::Hj212_2017, true, false),
            (6, Edition::Hj212_2017, false, true),
            (7, Edition::Hj212_2017, true, true),
            (0, Edition::Hj212_2005, false, false),
            (1, Edition::Hj212_2005, true, false),
            (8, Edition::Hj212_2025, false, false),
            (9, Edition::Hj212_2025, true, false),
        ];
        for (v, ed, ack, split) in cases {
            let f = Flag(v);
            assert_eq!(
                (f.edition(), f.needs_ack(), f.is_split()),
                (ed, ack, split),
                "Flag={v}"
            );
            assert_eq!(Flag::new(ed, split, ack), f);
        }
    }

    #[test]
    fn codes_of_2005_translate_to_2017() {
        assert_eq!(canonical_code("02"), "a21026");
        assert_eq!(canonical_code("B02"), "a00000");
        assert_eq!(canonical_code("a34004"), "a34004");
        assert_eq!(code_name("S01"), Some("O2"));
        assert!(is_family_code("SB1") && is_family_code("e10101") && !is_family_code("x1"));
        assert!(is_family_code("d20105") && is_family_code("d30406") && is_family_code("p99101"));
        assert!(!is_family_code("d10105") && !is_family_code("p10101"));
        assert_eq!(
            family_name_2025("d20105").map(|n| n.1),
            Some("production facility electricity")
        );
        assert_eq!(
            family_name_2025("p99102").map(|n| n.0),
            Some("关键生产工况")
        );
        assert_eq!(family_name_2025("a21026"), None);
        assert_eq!(Command(2061).name(), Some("hourly data"));
        assert_eq!(Command(2061).class(), CommandClass::Data);
        assert_eq!(system_name("22"), Some("ambient air quality"));
    }
}
