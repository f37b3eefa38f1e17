//! The pollution-source simulator behind `lantian send --generate` and the demo enterprises of
//! `lantian serve --demo`: flue-gas CEMS, working-condition (facility status) and electricity
//! data, generated with chosen faults or replayed from a CSV, as HJ 212 uploads.
//!
//! Generated values are a function of (seed, minute): a counter-based generator (the
//! SplitMix64 finaliser over seed, stream and index) instead of a sequential one, so that two
//! runs over overlapping days send the same values for the same minutes (the demo re-fed after
//! a restart repeats what the store already has, and the gateway keeps it once).

use anyhow::{Context, Result, bail};
use lantian_core::cems::{FLOW, O2};
use lantian_core::{Date, cst};
use lantian_formats::Diagnostics;
use lantian_gateway::client::OutFrame;
use lantian_gateway::mapping::timestamp;
use lantian_hj212::encode::{Header, encode};
use lantian_hj212::{Command, Flag};
use std::fmt::Write as _;
use std::ops::Range;
use std::str::FromStr;

/// The system code of every upload here: 31, air pollution sources (HJ 212-2017 Table 5).
pub const ST_SOURCE: &str = "31";

/// The flue-gas pollutants a generated CEMS sends: SO2, NOx, particulate matter.
pub const POLLUTANTS: [&str; 3] = ["a21026", "a21002", "a34013"];

/// At or above this O2 (%) the normalisation has no meaning: the same threshold the
/// platform judges a stopped plant by (`lantian_core::cems::O2_STOPPED_PCT_MIN`).
const O2_STOPPED_PCT_MIN: f64 = lantian_core::cems::O2_STOPPED_PCT_MIN;

/// How often uploads are sent, and as which command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Period {
    /// Hourly data (2061), `-Avg` values.
    Hour,
    /// Minute data (2051), `-Avg` values.
    Min,
    /// Real-time data (2011), `-Rtd` values, one upload a minute.
    Rtd,
}

impl Period {
    pub fn command(self) -> Command {
        match self {
            Period::Hour => Command::HOURLY_DATA,
            Period::Min => Command::MINUTE_DATA,
            Period::Rtd => Command::REALTIME_DATA,
        }
    }
}

/// What one field of an upload carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// A measured value: `CODE-Avg` (`CODE-Rtd` in a real-time upload).
    Value,
    /// The device's own normalised (折算) value: `CODE-ZsAvg` / `CODE-ZsRtd`.
    Normalised,
    /// The device's amount for the period (kg): `CODE-Cou`.
    Amount,
    /// A facility status (1 running, 0 stopped): `CODE-RS`, in a 2021 upload.
    Status,
}

/// One field: a code (`a21026`, `SB1`), what it carries, its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub code: String,
    pub part: Part,
    pub value: f64,
}

/// One upload: its `DataTime` (CST seconds), its command, its fields and the data flags of
/// codes whose flag is not `N`.
#[derive(Clone, Debug, PartialEq)]
pub struct Upload {
    pub ts: i64,
    pub cn: Command,
    pub fields: Vec<Field>,
    pub flags: Vec<(String, String)>,
}

impl Upload {
    fn new(ts: i64, cn: Command) -> Upload {
        Upload {
            ts,
            cn,
            fields: Vec::new(),
            flags: Vec::new(),
        }
    }

    fn push(&mut self, code: &str, part: Part, value: f64) {
        self.fields.push(Field {
            code: code.to_owned(),
            part,
            value,
        });
    }

    /// The CP area: `DataTime=…;a21026-Avg=…,a21026-ZsAvg=…,a21026-Cou=…,a21026-Flag=N;…`,
    /// the fields of a code together, in the order they first appear.
    pub fn cp(&self) -> String {
        let rtd = self.cn == Command::REALTIME_DATA;
        let mut cp = format!("DataTime={}", timestamp(self.ts).n14());
        let mut codes: Vec<&str> = Vec::new();
        for f in &self.fields {
            if !codes.contains(&f.code.as_str()) {
                codes.push(&f.code);
            }
        }
        for code in codes {
            let mut group = Vec::new();
            let mut flagged = false;
            for f in self.fields.iter().filter(|f| f.code == code) {
                let suffix = match (f.part, rtd) {
                    (Part::Value, false) => "Avg",
                    (Part::Value, true) => "Rtd",
                    (Part::Normalised, false) => "ZsAvg",
                    (Part::Normalised, true) => "ZsRtd",
                    (Part::Amount, _) => "Cou",
                    (Part::Status, _) => "RS",
                };
                flagged |= matches!(f.part, Part::Value | Part::Normalised);
                group.push(format!("{code}-{suffix}={}", number(f.value)));
            }
            if flagged {
                let flag = self
                    .flags
                    .iter()
                    .find(|(c, _)| c == code)
                    .map_or("N", |(_, f)| f.as_str());
                group.push(format!("{code}-Flag={flag}"));
            }
            let _ = write!(cp, ";{}", group.join(","));
        }
        cp
    }
}

/// A value as a device writes it: five significant digits, at most six decimals, no
/// trailing zeros (a minute's amount of a small boiler is a few grams: 0.0018 kg).
fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_owned();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (4 - magnitude).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// The frames of a device's uploads (HJ 212-2017, answer requested), QN from the data time.
pub fn frames(uploads: &[Upload], mn: &str, password: &str) -> Vec<OutFrame> {
    uploads
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let qn = format!("{}{:03}", timestamp(u.ts).n14(), i % 1000);
            let header = Header {
                qn: Some(&qn),
                st: ST_SOURCE,
                cn: u.cn,
                pw: Some(password),
                mn: Some(mn),
                flag: Some(Flag(5)),
                pnum: None,
                pno: None,
                resend: false,
            };
            OutFrame::new(encode(&header, &u.cp()))
        })
        .collect()
}

/// A seed from an MN (FNV-1a), so each device of a run differs and every run is the same.
pub fn seed_of(mn: &str) -> u64 {
    mn.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------------------
// Faults

/// What a fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// A pollutant's normalised value at 1.2–2 times its limit (CEMS).
    Exceed,
    /// The plant stopped: O2 about 20.5 %, flow near zero, no normalised values (CEMS).
    Stop,
    /// The device's normalised value of a pollutant is half the right one (CEMS).
    ZsWrong,
    /// A pollutant held at one value, a sign of falsified data (CEMS).
    Flatline,
    /// Nothing sent (any device).
    Gap,
    /// The equipment off: status 0, or standby power (status, power).
    Off,
}

impl FaultKind {
    const NAMES: [(&'static str, FaultKind); 6] = [
        ("exceed", FaultKind::Exceed),
        ("stop", FaultKind::Stop),
        ("zs-wrong", FaultKind::ZsWrong),
        ("flatline", FaultKind::Flatline),
        ("gap", FaultKind::Gap),
        ("off", FaultKind::Off),
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |(n, _)| n)
    }

    /// Whether the fault names a pollutant (`KIND:CODE@…`).
    fn takes_code(self) -> bool {
        matches!(
            self,
            FaultKind::Exceed | FaultKind::ZsWrong | FaultKind::Flatline
        )
    }
}

/// A fault in some hours: every day of the range (`KIND@HH-HH`) or one day
/// (`KIND@YYYY-MM-DDTHH-HH`); hours from the first's start to the second's (`05-07` is
/// 05:00–06:59), Beijing time; `KIND@HH` is one hour.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    /// The pollutant (exceed, zs-wrong, flatline); `None`: SO2 for exceed and zs-wrong, all
    /// three for flatline.
    pub code: Option<String>,
    pub day: Option<Date>,
    pub hours: Range<u32>,
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Fault, String> {
        let usage = "expected KIND[:CODE]@HH-HH or KIND[:CODE]@YYYY-MM-DDTHH-HH";
        let (what, when) = s.split_once('@').ok_or_else(|| format!("{s}: {usage}"))?;
        let (kind, code) = match what.split_once(':') {
            Some((k, c)) => (k, Some(c.trim().to_owned())),
            None => (what, None),
        };
        let kind = FaultKind::NAMES
            .iter()
            .find(|(n, _)| *n == kind.trim())
            .map(|(_, k)| *k)
            .ok_or_else(|| {
                let names: Vec<&str> = FaultKind::NAMES.iter().map(|(n, _)| *n).collect();
                format!("{s}: unknown fault {kind:?} (known: {})", names.join(", "))
            })?;
        if code.is_some() && !kind.takes_code() {
            return Err(format!(
                "{s}: only exceed, zs-wrong and flatline name a pollutant"
            ));
        }
        if code.as_deref().is_some_and(|c| !POLLUTANTS.contains(&c)) {
            return Err(format!(
                "{s}: the pollutant must be one of {}",
                POLLUTANTS.join(", ")
            ));
        }
        let (day, hours) = match when.split_once('T') {
            Some((d, h)) => (
                Some(Date::parse(d).ok_or_else(|| format!("{s}: {d:?} is not YYYY-MM-DD"))?),
                h,
            ),
            None => (None, when),
        };
        let hour = |h: &str| h.trim().parse::<u32>().ok().filter(|h| *h <= 24);
        let range = match hours.split_once('-') {
            Some((a, b)) => hour(a).zip(hour(b)).map(|(a, b)| a..b),
            None => hour(hours).map(|a| a..a + 1),
        }
        .filter(|r| r.start < r.end && r.end <= 24)
        .ok_or_else(|| {
            format!("{s}: hours {hours:?} must be HH-HH with 0 <= start < end <= 24; {usage}")
        })?;
        Ok(Fault {
            kind,
            code,
            day,
            hours: range,
        })
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind.name())?;
        if let Some(c) = &self.code {
            write!(f, ":{c}")?;
        }
        f.write_str("@")?;
        if let Some(d) = self.day {
            write!(f, "{d}T")?;
        }
        write!(f, "{:02}-{:02}", self.hours.start, self.hours.end)
    }
}

impl Fault {
    /// The start of the fault's occurrence that covers `t` (CST seconds), if one does.
    fn start_covering(&self, t: i64) -> Option<i64> {
        let day = cst::date_of(t);
        let hour = (t.rem_euclid(cst::DAY_S) / cst::HOUR_S) as u32;
        (self.day.is_none_or(|d| d == day) && self.hours.contains(&hour))
            .then(|| cst::day_start(day) + i64::from(self.hours.start) * cst::HOUR_S)
    }

    /// Whether it concerns the pollutant `code`.
    fn concerns(&self, code: &str) -> bool {
        match &self.code {
            Some(c) => c == code,
            None => self.kind == FaultKind::Flatline || code == POLLUTANTS[0],
        }
    }
}

// ---------------------------------------------------------------------------------------
// Noise

/// The SplitMix64 finaliser: a well-mixed 64-bit hash.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Noise as a function of (seed, stream, index).
#[derive(Clone, Copy, Debug)]
struct Noise {
    seed: u64,
}

/// Normal deviates are clipped to this many standard deviations, so that a fault-free minute
/// can never by chance exceed a limit or look stopped.
const NOISE_SIGMA_MAX: f64 = 3.0;

impl Noise {
    /// Uniform in (0, 1].
    fn uniform(self, stream: u64, k: i64) -> f64 {
        let h = mix(self.seed ^ mix(stream.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ k as u64));
        ((h >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller), clipped.
    fn normal(self, stream: u64, k: i64) -> f64 {
        let (u1, u2) = (self.uniform(stream, 2 * k), self.uniform(stream, 2 * k + 1));
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        z.clamp(-NOISE_SIGMA_MAX, NOISE_SIGMA_MAX)
    }

    /// A slowly varying deviate: normal knots every `knot_s` seconds, joined smoothly.
    fn smooth(self, stream: u64, t: i64, knot_s: i64) -> f64 {
        let k = t.div_euclid(knot_s);
        let x = (t - k * knot_s) as f64 / knot_s as f64;
        let s = x * x * (3.0 - 2.0 * x);
        let (a, b) = (self.normal(stream, k), self.normal(stream, k + 1));
        a + (b - a) * s
    }

    /// White noise of minute `t`.
    fn white(self, stream: u64, t: i64) -> f64 {
        self.normal(stream, t.div_euclid(cst::MINUTE_S))
    }
}

/// Noise streams.
const S_LOAD: u64 = 1;
const S_O2: u64 = 2;
const S_O2_WHITE: u64 = 3;
const S_FLOW: u64 = 4;
const S_STOP: u64 = 5;
const S_STOP_READING: u64 = 8;
const S_POWER: u64 = 6;
const S_POWER_WHITE: u64 = 7;
/// Per pollutant: slow variation, white noise, the exceedance's level.
const S_CONC: u64 = 10;
const S_CONC_WHITE: u64 = 20;
const S_EXCEED: u64 = 30;

// ---------------------------------------------------------------------------------------
// Flue gas

/// A kind of stack: its typical flue gas, the reference O2 and limits it is judged by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// Steel sintering machine head (烧结机机头): O2 about 15.5 %, reference 16 %, about
    /// 160 m³/s; ultra-low limits SO2 35, NOx 50, PM 10 mg/m³.
    Sinter,
    /// Steel rolling reheating furnace (轧钢加热炉): O2 about 6 %, reference 8 %, about
    /// 25 m³/s; SO2 50, NOx 200, PM 10 mg/m³.
    Furnace,
    /// Glass melting furnace (玻璃熔窑): O2 about 10 %, reference 8 %, about 30 m³/s;
    /// SO2 50, NOx 200, PM 10 mg/m³.
    Kiln,
    /// Gas-fired boiler (燃气锅炉): O2 about 5 %, reference 3.5 %, about 1.5 m³/s;
    /// SO2 10, NOx 30, PM 5 mg/m³.
    Boiler,
}

/// The numbers of a profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stack {
    pub o2_pct: f64,
    pub o2_ref_pct: f64,
    pub flow_m3_s: f64,
    /// Typical measured concentrations (mg/m³) of [`POLLUTANTS`].
    pub measured_mg_m3: [f64; 3],
    /// Limits (mg/m³, normalised) of [`POLLUTANTS`].
    pub limits_mg_m3: [f64; 3],
    /// Relative amplitude of the daily load cycle, and the hour of its peak.
    pub diurnal: f64,
    pub peak_hour: f64,
}

impl Profile {
    pub fn stack(self) -> Stack {
        match self {
            Profile::Sinter => Stack {
                o2_pct: 15.5,
                o2_ref_pct: 16.0,
                flow_m3_s: 160.0,
                measured_mg_m3: [12.0, 30.0, 4.0],
                limits_mg_m3: [35.0, 50.0, 10.0],
                diurnal: 0.06,
                peak_hour: 14.0,
            },
            Profile::Furnace => Stack {
                o2_pct: 6.0,
                o2_ref_pct: 8.0,
                flow_m3_s: 25.0,
                measured_mg_m3: [15.0, 95.0, 4.0],
                limits_mg_m3: [50.0, 200.0, 10.0],
                diurnal: 0.10,
                peak_hour: 10.0,
            },
            Profile::Kiln => Stack {
                o2_pct: 10.0,
                o2_ref_pct: 8.0,
                flow_m3_s: 30.0,
                measured_mg_m3: [22.0, 110.0, 5.0],
                limits_mg_m3: [50.0, 200.0, 10.0],
                diurnal: 0.03,
                peak_hour: 15.0,
            },
            Profile::Boiler => Stack {
                o2_pct: 5.0,
                o2_ref_pct: 3.5,
                flow_m3_s: 1.5,
                measured_mg_m3: [2.0, 20.0, 1.5],
                limits_mg_m3: [10.0, 30.0, 5.0],
                diurnal: 0.15,
                peak_hour: 8.0,
            },
        }
    }
}

/// What a generated device is.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// An outlet's CEMS; `limits` replaces the profile's limits (the level `exceed` passes).
    Cems {
        profile: Profile,
        limits: Vec<(String, f64)>,
    },
    /// A facility status code, e.g. `SB1-RS`.
    Status { code: String },
    /// An electricity meter's active-power code (kW), e.g. `e01`.
    Power { code: String, rated_kw: f64 },
}

impl Source {
    fn allows(&self, k: FaultKind) -> bool {
        match self {
            Source::Cems { .. } => k != FaultKind::Off,
            Source::Status { .. } | Source::Power { .. } => {
                matches!(k, FaultKind::Off | FaultKind::Gap)
            }
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Source::Cems { .. } => "cems",
            Source::Status { .. } => "status",
            Source::Power { .. } => "power",
        }
    }
}

/// What to generate: a device's data for `from <= t < to` (CST seconds, whole minutes).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub source: Source,
    pub from: i64,
    pub to: i64,
    pub period: Period,
    pub faults: Vec<Fault>,
    pub seed: u64,
}

impl Plan {
    /// A plan over whole days, `first` to `last` inclusive, Beijing time.
    pub fn days(
        source: Source,
        first: Date,
        last: Date,
        period: Period,
        faults: Vec<Fault>,
        seed: u64,
    ) -> Plan {
        Plan {
            source,
            from: cst::day_start(first),
            to: cst::day_start(last.add_days(1)),
            period,
            faults,
            seed,
        }
    }

    fn active(&self, t: i64) -> impl Iterator<Item = (&Fault, i64)> {
        self.faults
            .iter()
            .filter_map(move |f| f.start_covering(t).map(|s| (f, s)))
    }

    fn has(&self, t: i64, kind: FaultKind) -> bool {
        self.active(t).any(|(f, _)| f.kind == kind)
    }
}

/// One minute at a stack: O2 (%), flow (m³/s), measured concentrations (mg/m³) and how the
/// device's normalised value relates to the right one (`None`: it sends none, the plant
/// being stopped).
#[derive(Clone, Copy, Debug, PartialEq)]
struct StackMinute {
    o2: f64,
    flow_m3_s: f64,
    measured: [f64; 3],
    zs_scale: [Option<f64>; 3],
}

/// The daily load cycle and slow drift of a process at `t`: about 1.
fn load(noise: Noise, diurnal: f64, peak_hour: f64, t: i64) -> f64 {
    let hour = t.rem_euclid(cst::DAY_S) as f64 / cst::HOUR_S as f64;
    1.0 + diurnal * (std::f64::consts::TAU * (hour - peak_hour) / 24.0).cos()
        + 0.02 * noise.smooth(S_LOAD, t, cst::HOUR_S)
}

/// A fault-free minute at a stack.
fn normal_minute(s: &Stack, noise: Noise, t: i64) -> StackMinute {
    let l = load(noise, s.diurnal, s.peak_hour, t);
    // More fuel and feed at higher load: less excess air.
    let o2 = (s.o2_pct - 4.0 * (l - 1.0)
        + 0.2 * noise.smooth(S_O2, t, 20 * cst::MINUTE_S)
        + 0.05 * noise.white(S_O2_WHITE, t))
    .clamp(1.0, 18.0);
    let flow_m3_s = s.flow_m3_s * l * (1.0 + 0.01 * noise.white(S_FLOW, t));
    let mut measured = [0.0; 3];
    for (i, m) in measured.iter_mut().enumerate() {
        let k = i as u64;
        *m = (s.measured_mg_m3[i]
            * (1.0 + 0.8 * (l - 1.0))
            * (1.0 + 0.1 * noise.smooth(S_CONC + k, t, 15 * cst::MINUTE_S))
            * (1.0 + 0.03 * noise.white(S_CONC_WHITE + k, t)))
        .max(0.0);
    }
    StackMinute {
        o2,
        flow_m3_s,
        measured,
        zs_scale: [Some(1.0); 3],
    }
}

/// Held values are rounded as a stuck signal repeats them.
fn held(v: f64) -> f64 {
    if v >= 1.0 {
        (v * 10.0).round() / 10.0
    } else {
        (v * 100.0).round() / 100.0
    }
}

/// A minute at a stack with the plan's faults, or `None` in a gap.
fn stack_minute(plan: &Plan, s: &Stack, noise: Noise, t: i64) -> Option<StackMinute> {
    if plan.has(t, FaultKind::Gap) {
        return None;
    }
    let mut m = normal_minute(s, noise, t);
    if plan.has(t, FaultKind::Stop) {
        // Fans on standby, ambient air in the duct; the analysers read close to zero and the
        // device, rightly, normalises nothing.
        m.o2 = (20.5 + 0.1 * noise.white(S_STOP, t)).min(20.9);
        m.flow_m3_s = 0.25 * (1.0 + 0.1 * noise.white(S_FLOW, t));
        m.measured = [0.6, 1.5, 0.3].map(|v| v * (1.0 + 0.1 * noise.white(S_STOP_READING, t)));
        m.zs_scale = [None; 3];
        return Some(m);
    }
    let factor = (21.0 - m.o2) / (21.0 - s.o2_ref_pct);
    for (f, start) in plan.active(t) {
        for (i, code) in POLLUTANTS.iter().enumerate() {
            if !f.concerns(code) {
                continue;
            }
            match f.kind {
                FaultKind::Exceed => {
                    let level =
                        1.6 + 0.12 * noise.smooth(S_EXCEED + i as u64, t, 10 * cst::MINUTE_S);
                    m.measured[i] = s.limits_mg_m3[i] * level * factor;
                }
                FaultKind::Flatline => {
                    m.measured[i] = held(normal_minute(s, noise, start).measured[i]);
                }
                FaultKind::ZsWrong => m.zs_scale[i] = Some(0.5),
                FaultKind::Stop | FaultKind::Gap | FaultKind::Off => {}
            }
        }
    }
    Some(m)
}

/// The device's normalised value of a measured concentration, as it computes it.
fn device_normalised(measured: f64, o2: f64, o2_ref: f64, scale: Option<f64>) -> Option<f64> {
    let scale = scale?;
    (o2 < O2_STOPPED_PCT_MIN).then(|| measured * (21.0 - o2_ref) / (21.0 - o2) * scale)
}

fn cems_uploads(plan: &Plan, profile: Profile, limits: &[(String, f64)]) -> Vec<Upload> {
    let mut s = profile.stack();
    for (code, limit) in limits {
        if let Some(i) = POLLUTANTS.iter().position(|p| p == code) {
            s.limits_mg_m3[i] = *limit;
        }
    }
    let noise = Noise { seed: plan.seed };
    let cn = plan.period.command();
    let mut out = Vec::new();
    let minute_upload = |t: i64, m: &StackMinute| {
        let mut u = Upload::new(t, cn);
        for (i, code) in POLLUTANTS.iter().enumerate() {
            u.push(code, Part::Value, m.measured[i]);
            if let Some(z) = device_normalised(m.measured[i], m.o2, s.o2_ref_pct, m.zs_scale[i]) {
                u.push(code, Part::Normalised, z);
            }
            if cn == Command::MINUTE_DATA {
                // C (mg/m³) × Q (m³/s) × 60 s: the minute's amount in kg.
                u.push(
                    code,
                    Part::Amount,
                    m.measured[i] * m.flow_m3_s * 60.0 * 1e-6,
                );
            }
        }
        u.push(O2, Part::Value, m.o2);
        u.push(FLOW, Part::Value, m.flow_m3_s);
        u
    };
    match plan.period {
        Period::Min | Period::Rtd => {
            for t in (plan.from..plan.to).step_by(cst::MINUTE_S as usize) {
                if let Some(m) = stack_minute(plan, &s, noise, t) {
                    out.push(minute_upload(t, &m));
                }
            }
        }
        Period::Hour => {
            for h in (plan.from..plan.to).step_by(cst::HOUR_S as usize) {
                let minutes: Vec<StackMinute> = (0..60)
                    .filter_map(|k| stack_minute(plan, &s, noise, h + k * cst::MINUTE_S))
                    .collect();
                if minutes.is_empty() {
                    continue;
                }
                let n = minutes.len() as f64;
                let mean = |f: &dyn Fn(&StackMinute) -> f64| minutes.iter().map(f).sum::<f64>() / n;
                let (o2, flow) = (mean(&|m| m.o2), mean(&|m| m.flow_m3_s));
                let mut u = Upload::new(h, cn);
                for (i, code) in POLLUTANTS.iter().enumerate() {
                    let c = mean(&|m| m.measured[i]);
                    u.push(code, Part::Value, c);
                    // The device normalises the hour's means, and only a running hour.
                    let scales: Option<Vec<f64>> = minutes.iter().map(|m| m.zs_scale[i]).collect();
                    let scale = scales.map(|v| v.iter().sum::<f64>() / n);
                    if let Some(z) = device_normalised(c, o2, s.o2_ref_pct, scale) {
                        u.push(code, Part::Normalised, z);
                    }
                    // The hour's amount: the sum of its minutes'.
                    let kg: f64 = minutes
                        .iter()
                        .map(|m| m.measured[i] * m.flow_m3_s * 60.0 * 1e-6)
                        .sum();
                    u.push(code, Part::Amount, kg);
                }
                u.push(O2, Part::Value, o2);
                u.push(FLOW, Part::Value, flow);
                out.push(u);
            }
        }
    }
    out
}

/// The running power of equipment (kW) at `t`, or its standby power when off.
fn power_minute(plan: &Plan, rated_kw: f64, noise: Noise, t: i64) -> f64 {
    if plan.has(t, FaultKind::Off) {
        return rated_kw * 0.004 * (1.0 + 0.25 * noise.white(S_POWER_WHITE, t));
    }
    let l = load(noise, 0.05, 14.0, t);
    rated_kw
        * (0.75 * l
            + 0.02 * noise.smooth(S_POWER, t, 30 * cst::MINUTE_S)
            + 0.01 * noise.white(S_POWER_WHITE, t))
}

fn power_uploads(plan: &Plan, code: &str, rated_kw: f64) -> Vec<Upload> {
    let noise = Noise { seed: plan.seed };
    let cn = plan.period.command();
    let mut out = Vec::new();
    let step = match plan.period {
        Period::Hour => cst::HOUR_S,
        Period::Min | Period::Rtd => cst::MINUTE_S,
    };
    for t in (plan.from..plan.to).step_by(step as usize) {
        let kws: Vec<f64> = (t..t + step)
            .step_by(cst::MINUTE_S as usize)
            .filter(|m| !plan.has(*m, FaultKind::Gap))
            .map(|m| power_minute(plan, rated_kw, noise, m))
            .collect();
        if kws.is_empty() {
            continue;
        }
        let mut u = Upload::new(t, cn);
        u.push(
            code,
            Part::Value,
            kws.iter().sum::<f64>() / kws.len() as f64,
        );
        out.push(u);
    }
    out
}

fn status_uploads(plan: &Plan, code: &str) -> Vec<Upload> {
    let step = match plan.period {
        Period::Hour => cst::HOUR_S,
        Period::Min | Period::Rtd => cst::MINUTE_S,
    };
    (plan.from..plan.to)
        .step_by(step as usize)
        .filter(|t| !plan.has(*t, FaultKind::Gap))
        .map(|t| {
            let mut u = Upload::new(t, Command::FACILITY_STATUS);
            let on = if plan.has(t, FaultKind::Off) {
                0.0
            } else {
                1.0
            };
            u.push(code, Part::Status, on);
            u
        })
        .collect()
}

/// A status code as the equipment is registered with (`SB1-RS`) or as the packet writes
/// it before `-RS` (`SB1`): the latter.
pub fn status_base(code: &str) -> &str {
    code.strip_suffix("-RS").unwrap_or(code)
}

/// The uploads of a plan. Faults must suit the device and each must cover some minute of
/// the range.
pub fn generate(plan: &Plan) -> Result<Vec<Upload>> {
    if plan.from >= plan.to {
        bail!("the range is empty");
    }
    for f in &plan.faults {
        if !plan.source.allows(f.kind) {
            bail!(
                "fault {f}: a {} device knows {}",
                plan.source.name(),
                match plan.source {
                    Source::Cems { .. } => "exceed, stop, zs-wrong, flatline and gap",
                    _ => "off and gap",
                }
            );
        }
        let covers = (plan.from..plan.to)
            .step_by(cst::HOUR_S as usize)
            .any(|t| f.start_covering(t).is_some());
        if !covers {
            bail!(
                "fault {f}: covers no hour from {} on",
                cst::format_minute(plan.from)
            );
        }
    }
    Ok(match &plan.source {
        Source::Cems { profile, limits } => cems_uploads(plan, *profile, limits),
        Source::Status { code } => status_uploads(plan, status_base(code)),
        Source::Power { code, rated_kw } => {
            if !(rated_kw.is_finite() && *rated_kw > 0.0) {
                bail!("the rated power must be above 0 kW");
            }
            power_uploads(plan, code, *rated_kw)
        }
    })
}

// ---------------------------------------------------------------------------------------
// CSV

/// The first column's header of a source CSV.
pub const CSV_TIME_HEADERS: [&str; 2] = ["时间", "time"];

/// Whether a first line is a source CSV's header.
pub fn is_csv_header(line: &str) -> bool {
    let first = line
        .trim_start_matches('\u{feff}')
        .split(',')
        .next()
        .unwrap_or("")
        .trim();
    CSV_TIME_HEADERS
        .iter()
        .any(|h| first.eq_ignore_ascii_case(h))
}

/// A CSV column: a field of a code, or a code's data flag.
#[derive(Clone, Debug, PartialEq)]
enum Column {
    Field(String, Part),
    Flag(String),
}

fn column(header: &str) -> Option<Column> {
    let h = header.trim();
    let (code, col) = if let Some(c) = h.strip_suffix("-Zs") {
        (c, Column::Field(c.to_owned(), Part::Normalised))
    } else if let Some(c) = h.strip_suffix("-Cou") {
        (c, Column::Field(c.to_owned(), Part::Amount))
    } else if let Some(c) = h.strip_suffix("-RS") {
        (c, Column::Field(c.to_owned(), Part::Status))
    } else if let Some(c) = h.strip_suffix("-Flag") {
        (c, Column::Flag(c.to_owned()))
    } else {
        (h, Column::Field(h.to_owned(), Part::Value))
    };
    (!code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric())).then_some(col)
}

/// `YYYY-MM-DD HH:MM[:SS]` (or with `T`), Beijing time, as CST seconds.
fn csv_time(text: &str) -> Option<i64> {
    let t = text.trim();
    let (minute, seconds) = match t.len() {
        16 => (t, 0),
        19 => {
            let s: i64 = t.get(17..)?.parse().ok()?;
            (t.get(..16)?, s)
        }
        _ => return None,
    };
    if t.len() == 19 && t.get(16..17) != Some(":") || !(0..60).contains(&seconds) {
        return None;
    }
    cst::parse_minute(minute).map(|m| m + seconds)
}

/// Reads a source CSV (docs/formats.md): the first column the time in Beijing time, then one
/// column per code (`a21026` a value, `a21026-Zs` the device's normalised value,
/// `a21026-Cou` its amount, `a21026-Flag` a data flag, `SB1-RS` a facility status). Each row
/// becomes an upload of `period` at its time (and a 2021 upload of its statuses); empty cells
/// are not sent; bad cells and rows are skipped and reported in `diag`.
pub fn read_csv(
    r: impl std::io::Read,
    name: &str,
    period: Period,
    diag: &mut Diagnostics,
) -> Result<Vec<Upload>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(r);
    let headers = reader
        .headers()
        .with_context(|| format!("{name}: cannot read the header"))?
        .clone();
    if !headers.get(0).is_some_and(is_csv_header) {
        bail!(
            "{name}:1: the first column must be 时间 (Beijing time), found {:?}",
            headers.get(0).unwrap_or("")
        );
    }
    let columns: Vec<Column> = headers
        .iter()
        .skip(1)
        .map(|h| {
            column(h).with_context(|| {
                format!(
                    "{name}:1: column {h:?} is not CODE, CODE-Zs, CODE-Cou, CODE-Flag or CODE-RS"
                )
            })
        })
        .collect::<Result<_>>()?;
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{name}: cannot read"))?;
        let line = record.position().map_or(0, |p| p.line());
        let Some(ts) = record.get(0).and_then(csv_time) else {
            diag.skip(
                name,
                line,
                Some(CSV_TIME_HEADERS[0]),
                "time is not YYYY-MM-DD HH:MM[:SS]",
            );
            continue;
        };
        let mut values = Upload::new(ts, period.command());
        let mut statuses = Upload::new(ts, Command::FACILITY_STATUS);
        for (col, cell) in columns.iter().zip(record.iter().skip(1)) {
            if cell.is_empty() {
                continue;
            }
            match col {
                Column::Flag(code) => {
                    if cell.len() <= 2 && cell.chars().all(|c| c.is_ascii_alphabetic()) {
                        values.flags.push((code.clone(), cell.to_owned()));
                    } else {
                        diag.skip(name, line, Some(&format!("{code}-Flag")), "not a data flag");
                    }
                }
                Column::Field(code, part) => {
                    let Some(v) = cell.parse::<f64>().ok().filter(|v| v.is_finite()) else {
                        diag.skip(name, line, Some(code), "not a number");
                        continue;
                    };
                    let u = if *part == Part::Status {
                        &mut statuses
                    } else {
                        &mut values
                    };
                    u.push(code, *part, v);
                }
            }
        }
        for u in [values, statuses] {
            if !u.fields.is_empty() {
                out.push(u);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn plan(source: Source, faults: &[&str], period: Period) -> Plan {
        Plan::days(
            source,
            d("2026-11-20"),
            d("2026-11-21"),
            period,
            faults.iter().map(|f| f.parse().unwrap()).collect(),
            7,
        )
    }

    fn sinter() -> Source {
        Source::Cems {
            profile: Profile::Sinter,
            limits: Vec::new(),
        }
    }

    #[test]
    fn faults_are_read_with_their_pollutant_day_and_hours() {
        let f: Fault = "exceed:a21002@2026-11-21T05-07".parse().unwrap();
        assert_eq!(
            f,
            Fault {
                kind: FaultKind::Exceed,
                code: Some("a21002".into()),
                day: Some(d("2026-11-21")),
                hours: 5..7,
            }
        );
        assert_eq!(f.to_string(), "exceed:a21002@2026-11-21T05-07");
        let f: Fault = "gap@23".parse().unwrap();
        assert_eq!((f.day, f.hours), (None, 23..24));
        for bad in [
            "exceed",
            "boom@01-02",
            "stop:a21026@01-02",
            "exceed:a99999@01-02",
            "gap@07-05",
            "gap@00-25",
            "gap@2026-13-01T01-02",
        ] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_written_with_five_significant_digits() {
        for (v, s) in [
            (0.0, "0"),
            (12.345678, "12.346"),
            (160.0, "160"),
            (0.00184321, "0.001843"),
            (20.5, "20.5"),
            (123456.7, "123457"),
        ] {
            assert_eq!(number(v), s);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_minutes_whatever_the_range() {
        let whole = generate(&plan(sinter(), &[], Period::Min)).unwrap();
        let mut second_day = plan(sinter(), &[], Period::Min);
        second_day.from = cst::day_start(d("2026-11-21"));
        let part = generate(&second_day).unwrap();
        assert_eq!(whole.len(), 2 * 1440);
        assert_eq!(&whole[1440..], &part[..]);
        let mut other = plan(sinter(), &[], Period::Min);
        other.seed = 8;
        assert_ne!(generate(&other).unwrap(), whole);
    }

    fn value(u: &Upload, code: &str, part: Part) -> Option<f64> {
        u.fields
            .iter()
            .find(|f| f.code == code && f.part == part)
            .map(|f| f.value)
    }

    #[test]
    fn each_fault_changes_its_hours_only() {
        let faults = [
            "exceed@05-07",
            "stop@08-10",
            "zs-wrong@2026-11-21T12-14",
            "flatline@16-18",
            "gap@20-22",
        ];
        let ups = generate(&plan(sinter(), &faults, Period::Min)).unwrap();
        assert_eq!(ups.len(), 2 * 22 * 60, "two hours a day missing");
        let s = Profile::Sinter.stack();
        let mut flat: Vec<(Date, f64)> = Vec::new();
        for u in &ups {
            let hour = u.ts.rem_euclid(cst::DAY_S) / cst::HOUR_S;
            let day = cst::date_of(u.ts);
            assert!(!(20..22).contains(&hour));
            let so2 = value(u, "a21026", Part::Value).unwrap();
            let o2 = value(u, O2, Part::Value).unwrap();
            let flow = value(u, FLOW, Part::Value).unwrap();
            let zs = value(u, "a21026", Part::Normalised);
            let stopped = (8..10).contains(&hour);
            assert_eq!(o2 >= 19.0, stopped, "{}", cst::format_minute(u.ts));
            assert_eq!(flow < 1.0, stopped);
            assert_eq!(zs.is_none(), stopped);
            if let Some(zs) = zs {
                let right = so2 * (21.0 - 16.0) / (21.0 - o2);
                let wrong = day == d("2026-11-21") && (12..14).contains(&hour);
                let want = if wrong { right / 2.0 } else { right };
                assert!((zs - want).abs() < 1e-3 * want, "{zs} vs {want}");
                assert_eq!(right > s.limits_mg_m3[0], (5..7).contains(&hour));
            }
            let nox = value(u, "a21002", Part::Value).unwrap();
            if (16..18).contains(&hour) {
                match flat.iter().find(|(dd, _)| *dd == day) {
                    Some((_, v)) => assert_eq!(nox, *v),
                    None => flat.push((day, nox)),
                }
            }
            let kg = value(u, "a21026", Part::Amount).unwrap();
            assert!((kg - so2 * flow * 60e-6).abs() < 1e-12);
        }
        assert_eq!(flat.len(), 2);
        assert_ne!(flat[0].1, flat[1].1, "each day holds its own value");
    }

    #[test]
    fn equipment_is_off_and_silent_where_told() {
        let status = Source::Status {
            code: "SB1-RS".into(),
        };
        let ups = generate(&plan(
            status,
            &["off@03-05", "gap@2026-11-20T10"],
            Period::Min,
        ))
        .unwrap();
        assert_eq!(ups.len(), 2 * 1440 - 60);
        for u in &ups {
            let hour = u.ts.rem_euclid(cst::DAY_S) / cst::HOUR_S;
            assert_eq!(u.cn, Command::FACILITY_STATUS);
            assert_eq!(u.fields[0].code, "SB1");
            assert_eq!(u.fields[0].value == 0.0, (3..5).contains(&hour));
        }
        assert!(ups[0].cp().ends_with(";SB1-RS=1"), "{}", ups[0].cp());
        let power = Source::Power {
            code: "e01".into(),
            rated_kw: 800.0,
        };
        let ups = generate(&plan(power, &["off@15-17"], Period::Hour)).unwrap();
        assert_eq!(ups.len(), 48);
        for u in &ups {
            let hour = u.ts.rem_euclid(cst::DAY_S) / cst::HOUR_S;
            let kw = u.fields[0].value;
            if (15..17).contains(&hour) {
                assert!(kw < 10.0, "{kw}");
            } else {
                assert!((450.0..800.0).contains(&kw), "{kw}");
            }
        }
        assert!(ups[0].cp().contains(";e01-Avg="), "{}", ups[0].cp());
    }

    #[test]
    fn faults_must_suit_the_device_and_the_range() {
        let status = Source::Status {
            code: "SB1-RS".into(),
        };
        assert!(generate(&plan(status, &["exceed@01-02"], Period::Min)).is_err());
        assert!(generate(&plan(sinter(), &["off@01-02"], Period::Min)).is_err());
        assert!(generate(&plan(sinter(), &["gap@2026-12-01T01-02"], Period::Min)).is_err());
    }

    #[test]
    fn an_hourly_upload_carries_means_normalised_means_and_summed_amounts() {
        let ups = generate(&plan(sinter(), &[], Period::Hour)).unwrap();
        assert_eq!(ups.len(), 48);
        let minutes = generate(&plan(sinter(), &[], Period::Min)).unwrap();
        let h = &ups[10];
        let of_hour: Vec<&Upload> = minutes
            .iter()
            .filter(|m| cst::hour_start(m.ts) == h.ts)
            .collect();
        let mean = |code: &str| {
            of_hour
                .iter()
                .map(|m| value(m, code, Part::Value).unwrap())
                .sum::<f64>()
                / 60.0
        };
        let (so2, o2) = (mean("a21026"), mean(O2));
        assert!((value(h, "a21026", Part::Value).unwrap() - so2).abs() < 1e-9);
        let zs = value(h, "a21026", Part::Normalised).unwrap();
        assert!((zs - so2 * 5.0 / (21.0 - o2)).abs() < 1e-9);
        let kg: f64 = of_hour
            .iter()
            .map(|m| value(m, "a21026", Part::Amount).unwrap())
            .sum();
        assert!((value(h, "a21026", Part::Amount).unwrap() - kg).abs() < 1e-9);
        assert!(h.cp().contains("a21026-ZsAvg="), "{}", h.cp());
    }

    #[test]
    fn a_csv_row_is_an_upload_of_its_values_and_one_of_its_statuses() {
        let text = "\u{feff}时间,a21026,a21026-Zs,a21026-Flag,a19001,SB1-RS\n\
                    2026-11-20 08:00,30,50.1,N,18,1\n\
                    2026-11-20 08:01:30,31,,D,18.2,\n\
                    2026-11-20 8:02,1,2,N,3,1\n\
                    2026-11-20 08:03,x,,,20.5,0\n";
        let mut diag = Diagnostics::default();
        let ups = read_csv(text.as_bytes(), "t.csv", Period::Rtd, &mut diag).unwrap();
        assert_eq!(diag.skipped, 2, "{diag:?}");
        assert_eq!(diag.examples[0].line, 4);
        assert_eq!(diag.examples[1].field.as_deref(), Some("a21026"));
        let cps: Vec<(i64, String)> = ups.iter().map(|u| (u.cn.0 as i64, u.cp())).collect();
        assert_eq!(
            cps,
            [
                (
                    2011,
                    "DataTime=20261120080000;a21026-Rtd=30,a21026-ZsRtd=50.1,a21026-Flag=N;a19001-Rtd=18,a19001-Flag=N".to_owned()
                ),
                (2021, "DataTime=20261120080000;SB1-RS=1".to_owned()),
                (
                    2011,
                    "DataTime=20261120080130;a21026-Rtd=31,a21026-Flag=D;a19001-Rtd=18.2,a19001-Flag=N".to_owned()
                ),
                (2011, "DataTime=20261120080300;a19001-Rtd=20.5,a19001-Flag=N".to_owned()),
                (2021, "DataTime=20261120080300;SB1-RS=0".to_owned()),
            ]
        );
        assert!(read_csv("date,a21026\n".as_bytes(), "t.csv", Period::Min, &mut diag).is_err());
        assert!(
            read_csv(
                "时间,a21026-Zz\n".as_bytes(),
                "t.csv",
                Period::Min,
                &mut diag
            )
            .is_err()
        );
    }
}
