//! Public complaints (issue 18, plan §6(一)): 油烟 / 恶臭 / 烟尘 / 露天焚烧 / 扬尘 / 其他 from the
//! public page and typed in by staff from the 12345 / 12369 hotlines, each checked, then
//! dispatched as a task to the township the point lies in ([`crate::tasks`]); the
//! complainant looks its progress up with a random code; staff list them and see hot spots.
//!
//! Spam resistance without third-party services: a signed form token (HMAC under a server
//! secret, no session) with a minimum fill time and a maximum age, good for one complaint;
//! a honeypot field; per-address limits counted in the store (by a keyed hash of the
//! address, never the address); the same text at the same place within an hour merged into
//! the first complaint's task.
//!
//! Privacy: the lookup shows the category, the township, the status and the task's steps
//! with their Beijing times, never names, the contact, the text's sender or the photo; a
//! photo's EXIF (time, position, camera) is removed before it is stored.

use crate::caller::policy::{self, Act};
use crate::tasks::{self, NewTask};
use crate::{App, AppError, AppResult, Caller};
use lantian_core::cst;
use lantian_core::grid::task::{Source, State};
use lantian_store::complaints::{
    self as store, CODE_ALPHABET, CODE_LEN, ComplaintFilter, ComplaintRow, NewComplaint, Photo,
};
use lantian_store::{Page, Paged};
use serde::Serialize;
use std::collections::BTreeMap;

/// Characters of a complaint's text, at least.
pub const TEXT_CHARS_MIN: usize = 5;
/// Characters of a complaint's text, at most.
pub const TEXT_CHARS_MAX: usize = 1000;
/// Characters of the address text, at most.
pub const ADDRESS_CHARS_MAX: usize = 200;
/// Characters of the contact, at most.
pub const CONTACT_CHARS_MAX: usize = 100;
/// A photo's bytes, at most (5 MiB).
pub const PHOTO_BYTES_MAX: usize = 5 * 1024 * 1024;
/// Complaints from one address per hour, at most.
pub const PER_ADDRESS_PER_HOUR_MAX: i64 = 5;
/// Complaints from one address per day (24 h), at most.
pub const PER_ADDRESS_PER_DAY_MAX: i64 = 20;
/// A form is filled in no faster than this (a person reads and types; a script does not).
pub const FILL_MS_MIN: i64 = 3_000;
/// A form token is good for this long after it was issued (6 h).
pub const TOKEN_AGE_MS_MAX: i64 = 6 * 3_600_000;
/// The same text at a place this close within [`DUPLICATE_WINDOW_MS`] is one complaint.
pub const DUPLICATE_DISTANCE_M: f64 = 200.0;
/// How far back a repeat is looked for (1 h).
pub const DUPLICATE_WINDOW_MS: i64 = 3_600_000;
/// Complaints listed at most per request.
pub const LIST_MAX: i64 = 5_000;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What a complaint is about (plan §6(一)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 油烟: cooking fumes of restaurants.
    CookingFumes,
    /// 恶臭: odour.
    Odour,
    /// 烟尘: smoke and soot.
    Smoke,
    /// 露天焚烧: open burning.
    OpenBurning,
    /// 扬尘: dust.
    Dust,
    /// 其他: anything else.
    Other,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::CookingFumes,
        Category::Odour,
        Category::Smoke,
        Category::OpenBurning,
        Category::Dust,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::CookingFumes => "cooking_fumes",
            Category::Odour => "odour",
            Category::Smoke => "smoke",
            Category::OpenBurning => "open_burning",
            Category::Dust => "dust",
            Category::Other => "other",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Category::CookingFumes => "油烟",
            Category::Odour => "恶臭",
            Category::Smoke => "烟尘",
            Category::OpenBurning => "露天焚烧",
            Category::Dust => "扬尘",
            Category::Other => "其他",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Category::CookingFumes => "cooking fumes",
            Category::Odour => "odour",
            Category::Smoke => "smoke",
            Category::OpenBurning => "open burning",
            Category::Dust => "dust",
            Category::Other => "other",
        }
    }

    /// The key (`cooking_fumes`) or the Chinese name (`油烟`).
    pub fn parse(text: &str) -> Option<Category> {
        let t = text.trim();
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == t || c.name_zh() == t)
    }
}

/// Where a complaint came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Channel {
    /// The public page.
    #[serde(rename = "web")]
    Web,
    /// The 12345 government hotline.
    #[serde(rename = "12345")]
    Hotline12345,
    /// The 12369 environmental hotline.
    #[serde(rename = "12369")]
    Hotline12369,
    /// In person or by letter, typed in by staff.
    #[serde(rename = "staff")]
    Staff,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Hotline12345 => "12345",
            Channel::Hotline12369 => "12369",
            Channel::Staff => "staff",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        [
            Channel::Web,
            Channel::Hotline12345,
            Channel::Hotline12369,
            Channel::Staff,
        ]
        .into_iter()
        .find(|c| c.as_str() == text.trim())
    }
}

/// A complaint from the public page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PublicInput {
    /// A [`Category`] key or Chinese name.
    pub category: String,
    pub text: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The place in words (optional).
    pub address: String,
    /// How to reach the complainant (optional; never public).
    pub contact: Option<String>,
    /// A JPEG or PNG photo (optional).
    pub photo: Option<Vec<u8>>,
    /// The token of [`form_token`].
    pub form_token: String,
    /// A field people do not see and scripts fill in: must be empty.
    pub honeypot: String,
}

/// A complaint typed in by staff from a hotline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StaffInput {
    /// `12345`, `12369` or `staff`.
    pub channel: String,
    pub category: String,
    pub text: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: String,
    pub contact: Option<String>,
    pub photo: Option<Vec<u8>>,
    /// When the caller says it happened (unix ms); default now.
    pub occurred_ms: Option<i64>,
}

/// A signed form token and how long the form must at least be open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FormToken {
    pub token: String,
    pub fill_seconds_min: i64,
    pub valid_seconds: i64,
}

/// The answer to a submission: the lookup code to keep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Submitted {
    pub id: i64,
    pub code: String,
    /// `dispatched` (a task was created) or `merged` (the same complaint was made within
    /// the hour: it joins that one's task).
    pub status: String,
    pub township: Option<String>,
    pub task_id: Option<i64>,
    pub message_zh: String,
    pub message_en: String,
}

/// A text in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Words {
    pub key: String,
    pub zh: String,
    pub en: String,
}

/// One step of a task, as the public sees it: no names, no texts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicStep {
    /// Beijing time, `YYYY-MM-DD HH:MM`.
    pub at: String,
    pub status: Words,
}

/// What the complainant sees with the code.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lookup {
    pub code: String,
    pub category: Words,
    pub channel: String,
    /// Beijing time of the submission.
    pub submitted: String,
    pub township: Option<Words>,
    pub status: Words,
    pub closed: bool,
    pub steps: Vec<PublicStep>,
    pub time_zone: &'static str,
}

/// A complaint as staff see it (the contact only for who takes complaints).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComplaintView {
    pub id: i64,
    pub code: String,
    pub channel: String,
    pub category: Words,
    pub text: String,
    pub lat: f64,
    pub lon: f64,
    pub address: String,
    pub contact: Option<String>,
    pub photo: Option<Photo>,
    /// Beijing time.
    pub submitted: String,
    pub created_ms: i64,
    pub township: Option<String>,
    pub task_id: Option<i64>,
    pub task_state: Option<State>,
    pub merged_into: Option<i64>,
    pub created_by: String,
    pub status: Words,
}

/// Which complaints to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub township: Option<String>,
    pub category: Option<String>,
    /// Created at or after (unix ms).
    pub from_ms: Option<i64>,
    /// Created before (unix ms).
    pub to_ms: Option<i64>,
    pub limit: Option<i64>,
}

/// A month's span in unix ms, Beijing time: its first instant and the next month's.
pub fn month_span_ms(m: lantian_core::Month) -> (i64, i64) {
    let next = m.first_day().add_days(i64::from(m.n_days()));
    (
        cst::to_unix_ms(cst::day_start(m.first_day())),
        cst::to_unix_ms(cst::day_start(next)),
    )
}

/// One cell of the hot-spot table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HotCount {
    pub category: Category,
    /// `YYYY-MM`, Beijing time.
    pub month: String,
    pub township: Option<String>,
    pub count: u32,
}

/// A complaint's point for the map.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HotPoint {
    pub lat: f64,
    pub lon: f64,
    pub category: Category,
    pub month: String,
    pub closed: bool,
}

/// Counts by category × month × township, and the points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HotSpots {
    pub counts: Vec<HotCount>,
    pub points: Vec<HotPoint>,
}

fn bad(what: &str, zh: &str, en: &str) -> AppError {
    AppError::BadRequest(format!("{what}：{zh} / {what}: {en}"))
}

/// The field names in the messages (English keys, as the API's JSON names them).
const F_LOCATION: &str = "location";
const F_CATEGORY: &str = "category";
const F_TEXT: &str = "text";
const F_ADDRESS: &str = "address";
const F_CONTACT: &str = "contact";
const F_PHOTO: &str = "photo";
const F_TOKEN: &str = "form_token";
const F_CHANNEL: &str = "channel";

/// A new form token for the public form.
pub fn form_token(app: &App) -> AppResult<FormToken> {
    let secret = app.store.complaint_secret()?;
    let nonce = lantian_store::password::random(16);
    Ok(FormToken {
        token: sign_token(&secret, app.clock.now_ms(), &nonce),
        fill_seconds_min: FILL_MS_MIN / 1000,
        valid_seconds: TOKEN_AGE_MS_MAX / 1000,
    })
}

fn sign_token(secret: &str, issued_ms: i64, nonce: &str) -> String {
    let body = format!("{issued_ms}.{nonce}");
    let sig = store::hmac_sha256_hex(
        secret.as_bytes(),
        format!("complaint-form:{body}").as_bytes(),
    );
    format!("{body}.{sig}")
}

/// Checks a form token; returns its nonce.
fn check_token(app: &App, secret: &str, token: &str) -> AppResult<String> {
    let invalid = || {
        bad(
            F_TOKEN,
            "表单已失效，请刷新页面后重新填写",
            "the form's token is missing or invalid: reload the page and fill the form in again",
        )
    };
    let mut parts = token.trim().splitn(3, '.');
    let (Some(ms), Some(nonce), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let issued_ms: i64 = ms.parse().map_err(|_| invalid())?;
    let want = sign_token(secret, issued_ms, nonce);
    // Compared without an early exit, so the time taken says nothing of the signature.
    let given = format!("{ms}.{nonce}.{sig}");
    let same = want.len() == given.len()
        && want
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(invalid());
    }
    let age_ms = app.clock.now_ms() - issued_ms;
    if age_ms > TOKEN_AGE_MS_MAX {
        return Err(bad(
            F_TOKEN,
            "表单打开已超过 6 小时，请刷新页面后重新提交",
            "the form was opened more than 6 hours ago: reload the page and submit again",
        ));
    }
    if age_ms < FILL_MS_MIN {
        return Err(AppError::TooManyRequests(format!(
            "提交过快：打开表单后至少 {} 秒才能提交 / submitted too fast: wait at least {} seconds after opening the form",
            FILL_MS_MIN / 1000,
            FILL_MS_MIN / 1000
        )));
    }
    Ok(nonce.to_owned())
}

/// Where the first markup-like `<` (a tag, a closing tag, a comment, a processing
/// instruction) or a control character sits in `text`: (character position, 1-based; what).
fn unsafe_at(text: &str) -> Option<(usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            return Some((i + 1, format!("U+{:04X}", u32::from(*c))));
        }
        if *c == '<'
            && chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?'))
        {
            let shown: String = chars[i..].iter().take(12).collect();
            return Some((i + 1, shown));
        }
    }
    None
}

/// Checks a free text field: length and no control characters or markup.
fn check_text(field: &str, text: &str, min: usize, max: usize) -> AppResult<String> {
    let t = text.trim();
    let n = t.chars().count();
    if n < min {
        return Err(bad(
            field,
            &format!("至少 {min} 个字（现有 {n} 个）"),
            &format!("at least {min} characters are needed ({n} given)"),
        ));
    }
    if n > max {
        return Err(bad(
            field,
            &format!("最多 {max} 个字（现有 {n} 个）"),
            &format!("at most {max} characters ({n} given)"),
        ));
    }
    if let Some((at, what)) = unsafe_at(t) {
        return Err(if what.starts_with("U+") {
            bad(
                field,
                &format!("第 {at} 个字符是控制字符 {what}，请删除"),
                &format!("character {at} is the control character {what}: remove it"),
            )
        } else {
            bad(
                field,
                &format!("第 {at} 个字符处有 HTML 标记或脚本（{what}），不予接受，请用文字描述"),
                &format!(
                    "HTML markup or a script at character {at} (`{what}`) is not accepted: describe the problem in plain words"
                ),
            )
        });
    }
    Ok(t.to_owned())
}

fn check_optional(field: &str, text: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => check_text(field, t, 1, max).map(Some),
    }
}

fn check_location(lat: Option<f64>, lon: Option<f64>) -> AppResult<(f64, f64)> {
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return Err(bad(
            F_LOCATION,
            "必须在地图上选择投诉地点（缺少纬度或经度）",
            "pick the place of the complaint on the map (lat and lon are required)",
        ));
    };
    let valid = lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon);
    if !valid {
        return Err(bad(
            F_LOCATION,
            &format!("坐标无效（纬度 {lat}，经度 {lon}）"),
            &format!("not a valid position (lat {lat}, lon {lon})"),
        ));
    }
    Ok((lat, lon))
}

fn check_category(text: &str) -> AppResult<Category> {
    Category::parse(text).ok_or_else(|| {
        let zh: Vec<&str> = Category::ALL.iter().map(|c| c.name_zh()).collect();
        let en: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        bad(
            F_CATEGORY,
            &format!("“{}”不是可选类别（{}）", text.trim(), zh.join("、")),
            &format!("`{}` is not one of {}", text.trim(), en.join(", ")),
        )
    })
}

/// A photo checked (JPEG or PNG by content, at most 5 MiB) with its metadata removed;
/// returns the bytes to store and the extension.
pub fn check_photo(bytes: &[u8]) -> AppResult<(Vec<u8>, &'static str)> {
    if bytes.len() > PHOTO_BYTES_MAX {
        return Err(bad(
            F_PHOTO,
            &format!(
                "照片不能超过 5 MiB（此文件 {:.1} MiB）",
                bytes.len() as f64 / 1_048_576.0
            ),
            &format!(
                "a photo is at most {PHOTO_BYTES_MAX} bytes (5 MiB); this one has {} bytes",
                bytes.len()
            ),
        ));
    }
    let not_image = || {
        bad(
            F_PHOTO,
            "照片须为 JPEG 或 PNG 图片，且文件完整",
            "the photo must be a whole JPEG or PNG image",
        )
    };
    match crate::ledger::sniff(bytes) {
        Some("jpg") => strip_jpeg(bytes).map(|b| (b, "jpg")).ok_or_else(not_image),
        Some("png") => strip_png(bytes).map(|b| (b, "png")).ok_or_else(not_image),
        _ => Err(not_image()),
    }
}

/// A JPEG without its APP1 segments (EXIF, XMP: time, position, camera); `None` when the
/// segments before the image data do not parse.
fn strip_jpeg(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(b.get(..2)?);
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        let marker = *b.get(i + 1)?;
        if marker == 0xFF {
            // Fill bytes before a marker.
            i += 1;
            continue;
        }
        if marker == 0xDA {
            // Start of scan: the image data and the rest follow unchanged.
            out.extend_from_slice(&b[i..]);
            return Some(out);
        }
        if marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*b.get(i + 2)?, *b.get(i + 3)?]));
        let end = i.checked_add(2)?.checked_add(len)?;
        let segment = b.get(i..end)?;
        if marker != 0xE1 {
            out.extend_from_slice(segment);
        }
        i = end;
    }
}

/// A PNG without its metadata chunks (eXIf, tEXt, zTXt, iTXt, tIME); `None` when the
/// chunks do not parse up to IEND.
fn strip_png(b: &[u8]) -> Option<Vec<u8>> {
    const DROP: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(b.get(..8)?);
    let mut i = 8;
    loop {
        let len = u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?) as usize;
        let kind = b.get(i + 4..i + 8)?;
        let end = i.checked_add(12)?.checked_add(len)?;
        let chunk = b.get(i..end)?;
        if !DROP.iter().any(|d| d.as_slice() == kind) {
            out.extend_from_slice(chunk);
        }
        if kind == b"IEND" {
            return Some(out);
        }
        i = end;
    }
}

/// Distance between two points in metres (haversine).
fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// The text as compared for repeats: lower case, whitespace collapsed.
fn text_hash(category: Category, text: &str) -> String {
    let norm: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    store::sha256_hex(format!("{}\n{}", category.as_str(), norm.join(" ")).as_bytes())
}

/// The address as counted for the rate limit: an IPv6 address by its /64 (one subscriber's
/// prefix), hashed under the server's secret so the store never holds the address.
fn client_hash(secret: &str, client: &str) -> String {
    let c = client.trim();
    let key = match c.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or(c.to_owned(), |v4| v4.to_string()),
        _ => c.to_owned(),
    };
    store::hmac_sha256_hex(secret.as_bytes(), format!("client:{key}").as_bytes())[..32].to_owned()
}

/// The checked fields of a complaint.
struct Checked {
    category: Category,
    text: String,
    lat: f64,
    lon: f64,
    address: String,
    contact: Option<String>,
    photo: Option<(Vec<u8>, &'static str)>,
}

#[allow(clippy::too_many_arguments)]
fn check_fields(
    category: &str,
    text: &str,
    lat: Option<f64>,
    lon: Option<f64>,
    address: &str,
    contact: Option<&str>,
    photo: Option<&[u8]>,
) -> AppResult<Checked> {
    let (lat, lon) = check_location(lat, lon)?;
    let category = check_category(category)?;
    let text = check_text(F_TEXT, text, TEXT_CHARS_MIN, TEXT_CHARS_MAX)?;
    let address = check_optional(F_ADDRESS, Some(address), ADDRESS_CHARS_MAX)?.unwrap_or_default();
    let contact = check_optional(F_CONTACT, contact, CONTACT_CHARS_MAX)?;
    let photo = photo.map(check_photo).transpose()?;
    Ok(Checked {
        category,
        text,
        lat,
        lon,
        address,
        contact,
        photo,
    })
}

/// The first complaint this one repeats (same category and text, within
/// [`DUPLICATE_DISTANCE_M`], in the last hour), followed to the complaint it was merged into.
fn repeat_of(app: &App, hash: &str, at: (f64, f64)) -> AppResult<Option<ComplaintRow>> {
    let since = app.clock.now_ms() - DUPLICATE_WINDOW_MS;
    Ok(app
        .store
        .complaints_with_text(hash, since)?
        .into_iter()
        .find(|c| {
            c.merged_into.is_none() && distance_m((c.lat, c.lon), at) <= DUPLICATE_DISTANCE_M
        }))
}

/// Writes the photo under `DATA_DIR/complaints/`; returns what the store keeps and the
/// path (removed again when the complaint is not stored).
fn save_photo(
    app: &App,
    photo: &(Vec<u8>, &'static str),
) -> AppResult<(Photo, std::path::PathBuf)> {
    let dir = app.data_dir.clone().ok_or_else(|| {
        AppError::Unavailable(
            "此部署没有数据目录，不能保存照片 / this deployment has no data directory for photos"
                .to_owned(),
        )
    })?;
    let folder = dir.join("complaints");
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::Internal(format!("{}: {e}", folder.display())))?;
    let sha = store::sha256_hex(&photo.0);
    let file = format!("{}-{}.{}", app.clock.now_ms(), &sha[..16], photo.1);
    let path = folder.join(&file);
    std::fs::write(&path, &photo.0)
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    Ok((
        Photo {
            file,
            bytes: i64::try_from(photo.0.len()).unwrap_or(i64::MAX),
            sha256: sha,
        },
        path,
    ))
}

/// Who submits, for the task and the audit log.
enum By<'a> {
    Public { client_hash: String, nonce: String },
    Staff(&'a Caller, Channel, Option<i64>),
}

/// Dispatches (or merges) and stores a checked complaint.
fn file(app: &App, k: Checked, by: By<'_>) -> AppResult<Submitted> {
    let now = app.clock.now_ms();
    let hash = text_hash(k.category, &k.text);
    let repeat = repeat_of(app, &hash, (k.lat, k.lon))?;
    let (task_id, township, status) = match &repeat {
        Some(first) => (first.task_id, first.township.clone(), "merged"),
        None => {
            let title = format!(
                "投诉：{} / complaint: {}{}",
                k.category.name_zh(),
                k.category.name_en(),
                if k.address.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", k.address)
                }
            );
            let occurred_ms = match &by {
                By::Staff(_, _, Some(ms)) => *ms,
                _ => now,
            };
            let t = NewTask {
                source: Source::Complaint,
                title,
                detail: k.text.clone(),
                lat: k.lat,
                lon: k.lon,
                occurred_ms,
                source_ref: None,
                assignee: None,
            };
            let view = match &by {
                By::Public { .. } => tasks::create_system(app, t)?,
                By::Staff(caller, ..) => tasks::create(app, caller, t)?,
            };
            (Some(view.id), view.township.clone(), "dispatched")
        }
    };
    let saved = k.photo.as_ref().map(|p| save_photo(app, p)).transpose()?;
    let (channel, created_by, client, nonce) = match &by {
        By::Public { client_hash, nonce } => (
            Channel::Web,
            "public".to_owned(),
            Some(client_hash.clone()),
            Some(nonce.clone()),
        ),
        By::Staff(caller, channel, _) => (*channel, caller.name().to_owned(), None, None),
    };
    let n = NewComplaint {
        channel: channel.as_str().to_owned(),
        category: k.category.as_str().to_owned(),
        text: k.text,
        text_hash: hash,
        lat: k.lat,
        lon: k.lon,
        address: k.address,
        contact: k.contact,
        photo: saved.as_ref().map(|s| s.0.clone()),
        created_ms: now,
        township: township.clone(),
        task_id,
        merged_into: repeat.as_ref().map(|r| r.id),
        client_hash: client,
        form_nonce: nonce,
        created_by,
        status: status.to_owned(),
    };
    let object = task_id.map_or_else(|| "task -".to_owned(), |t| format!("task {t}"));
    let detail = format!("{} {} {status}", channel.as_str(), n.category);
    let row = match &by {
        // The public's row carries a prefix of the address's keyed hash, not the address.
        By::Public { client_hash, .. } => lantian_store::AuditRow {
            at_ms: now,
            actor: "public".to_owned(),
            action: "complaint.submit".to_owned(),
            object,
            detail,
            source: format!("web:{}", &client_hash[..12]),
        },
        By::Staff(caller, ..) => app.audit_row(caller, "complaint.add", &object, &detail),
    };
    let stored = app.store.audited(row, || app.store.insert_complaint(&n));
    let c = match stored {
        Ok(c) => c,
        Err(e) => {
            if let Some((_, path)) = &saved {
                let _ = std::fs::remove_file(path);
            }
            return Err(e.into());
        }
    };
    let (message_zh, message_en) = if status == "merged" {
        (
            format!(
                "已收到。一小时内已有相同投诉，已并入同一任务。请保存查询码 {}",
                c.code
            ),
            format!(
                "Received. The same complaint was made within the hour; yours joins its task. Keep your lookup code {}",
                c.code
            ),
        )
    } else {
        (
            format!(
                "已受理并派发至所在乡镇。请保存查询码 {} 以查询办理进度",
                c.code
            ),
            format!(
                "Accepted and dispatched to the township. Keep your lookup code {} to follow its progress",
                c.code
            ),
        )
    };
    Ok(Submitted {
        id: c.id,
        code: c.code,
        status: status.to_owned(),
        township,
        task_id,
        message_zh,
        message_en,
    })
}

/// A complaint from the public page, from `client` (the sender's address as the front end
/// knows it). Checked in this order: honeypot, form token (signature, age, minimum fill
/// time), fields, the address's limits; then dispatched as a task to the township the point
/// lies in (outside the county: refused with the distance and the nearest township), or
/// merged into the same complaint of the last hour.
pub fn submit_public(app: &App, input: PublicInput, client: &str) -> AppResult<Submitted> {
    if !input.honeypot.trim().is_empty() {
        return Err(bad(
            "form",
            "提交被拒绝：表单中有不应填写的字段",
            "refused: a field that people do not see was filled in",
        ));
    }
    let secret = app.store.complaint_secret()?;
    let nonce = check_token(app, &secret, &input.form_token)?;
    // Checked before anything is created (the insert checks again, in its transaction).
    if app.store.complaint_nonce_used(&nonce)? {
        return Err(AppError::Conflict(
            "此表单已提交过，请刷新页面后再提交 / this form was submitted already: reload the page to submit another complaint".to_owned(),
        ));
    }
    let k = check_fields(
        &input.category,
        &input.text,
        input.lat,
        input.lon,
        &input.address,
        input.contact.as_deref(),
        input.photo.as_deref(),
    )?;
    let client_hash = client_hash(&secret, client);
    let now = app.clock.now_ms();
    for (window_ms, max, zh, en) in [
        (HOUR_MS, PER_ADDRESS_PER_HOUR_MAX, "1 小时", "an hour"),
        (DAY_MS, PER_ADDRESS_PER_DAY_MAX, "24 小时", "24 hours"),
    ] {
        if app
            .store
            .complaints_from_client(&client_hash, now - window_ms)?
            >= max
        {
            return Err(AppError::TooManyRequests(format!(
                "同一网络 {zh} 内最多提交 {max} 条投诉，请稍后再试或拨打 12345 / 12369 / at most {max} complaints per {en} from one network: try later or call 12345 / 12369"
            )));
        }
    }
    file(app, k, By::Public { client_hash, nonce })
}

/// A complaint typed in by staff (administrators, the bureau, departments) from the 12345
/// or 12369 hotline, or received in person; audited as the caller.
pub fn submit_staff(app: &App, caller: &Caller, input: StaffInput) -> AppResult<Submitted> {
    app.allow(
        caller,
        "complaint.add",
        "complaint",
        may(caller, Act::TakeComplaints),
    )?;
    let channel = Channel::parse(&input.channel)
        .filter(|c| *c != Channel::Web)
        .ok_or_else(|| {
            bad(
                F_CHANNEL,
                &format!("“{}”不是来源渠道（12345、12369、staff）", input.channel),
                &format!(
                    "`{}` is not a channel: 12345, 12369 or staff",
                    input.channel
                ),
            )
        })?;
    let k = check_fields(
        &input.category,
        &input.text,
        input.lat,
        input.lon,
        &input.address,
        input.contact.as_deref(),
        input.photo.as_deref(),
    )?;
    file(app, k, By::Staff(caller, channel, input.occurred_ms))
}

fn may(caller: &Caller, act: Act) -> AppResult<()> {
    if policy::acts(caller).contains(&act) {
        Ok(())
    } else {
        Err(policy::refusal(
            caller,
            "无权处理投诉 / this account may not handle complaints",
        ))
    }
}

/// The public status of a complaint whose task is in `state`.
fn status_words(state: Option<State>) -> Words {
    let (key, zh, en) = match state {
        None => ("received", "已收到", "received"),
        Some(State::Dispatched) => (
            "dispatched",
            "已受理，已派发乡镇",
            "accepted, sent to the township",
        ),
        Some(State::Signed) => ("signed", "乡镇已签收", "received by the township"),
        Some(State::Handling) => ("handling", "处置中", "being handled"),
        Some(State::Finished) => ("finished", "已处置，待审核", "handled, under review"),
        Some(State::Approved) => ("closed", "已办结", "closed"),
        Some(State::Returned) => ("returned", "处置中（退回重办）", "being handled again"),
    };
    Words {
        key: key.to_owned(),
        zh: zh.to_owned(),
        en: en.to_owned(),
    }
}

fn category_words(key: &str) -> Words {
    match Category::ALL.into_iter().find(|c| c.as_str() == key) {
        Some(c) => Words {
            key: key.to_owned(),
            zh: c.name_zh().to_owned(),
            en: c.name_en().to_owned(),
        },
        None => Words {
            key: key.to_owned(),
            zh: key.to_owned(),
            en: key.to_owned(),
        },
    }
}

fn township_words(app: &App, id: &str) -> Words {
    let u = app.county.units.iter().find(|u| u.id == id);
    Words {
        key: id.to_owned(),
        zh: u.map_or_else(|| id.to_owned(), |u| u.name_zh.clone()),
        en: u.map_or_else(|| id.to_owned(), |u| u.name_en.clone()),
    }
}

/// A complaint's progress by its code (public): category, township, status and the task's
/// steps with their Beijing times; no names, contact, text or photo.
pub fn lookup(app: &App, code: &str) -> AppResult<Lookup> {
    let norm: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if norm.len() != CODE_LEN || !norm.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return Err(bad(
            "code",
            &format!("查询码为 {CODE_LEN} 位字母和数字"),
            &format!("a lookup code has {CODE_LEN} letters and digits"),
        ));
    }
    let c = app.store.complaint_by_code(&norm)?.ok_or_else(|| {
        AppError::NotFound("查询码不存在，请核对 / no complaint has this code: check it".to_owned())
    })?;
    let task = c
        .task_id
        .map(|id| app.store.task(id))
        .transpose()?
        .flatten();
    let mut steps = Vec::new();
    if let Some(t) = &task {
        let mut last = None;
        for e in app.store.task_events(t.id)? {
            // One step per change of state; evidence and notes are not public.
            if last != Some(e.state_after) {
                steps.push(PublicStep {
                    at: cst::format_unix_ms(e.at_ms),
                    status: status_words(Some(e.state_after)),
                });
                last = Some(e.state_after);
            }
        }
    }
    let state = task.as_ref().map(|t| t.state);
    Ok(Lookup {
        code: c.code,
        category: category_words(&c.category),
        channel: c.channel,
        submitted: cst::format_unix_ms(c.created_ms),
        township: c.township.as_deref().map(|t| township_words(app, t)),
        status: status_words(state),
        closed: state.is_some_and(State::is_closed),
        steps,
        time_zone: "北京时间 / Beijing time",
    })
}

/// What the caller may see of complaints: all (`None`), or one township's.
fn scope(app: &App, caller: &Caller) -> AppResult<Option<String>> {
    app.allow(
        caller,
        "complaint.list",
        "complaints",
        may(caller, Act::SeeComplaints),
    )?;
    let a = caller.require()?;
    if policy::acts(caller).contains(&Act::TakeComplaints) {
        Ok(None)
    } else {
        // A township sees the complaints of its own township.
        Ok(Some(a.unit_id.clone().unwrap_or_default()))
    }
}

fn view(app: &App, caller: &Caller, c: ComplaintRow) -> AppResult<ComplaintView> {
    let state = match c.task_id {
        Some(id) => app.store.task(id)?.map(|t| t.state),
        None => None,
    };
    let sees_contact = policy::acts(caller).contains(&Act::TakeComplaints);
    Ok(ComplaintView {
        id: c.id,
        code: c.code,
        channel: c.channel,
        category: category_words(&c.category),
        text: c.text,
        lat: c.lat,
        lon: c.lon,
        address: c.address,
        contact: if sees_contact { c.contact } else { None },
        photo: c.photo,
        submitted: cst::format_unix_ms(c.created_ms),
        created_ms: c.created_ms,
        township: c.township,
        task_id: c.task_id,
        task_state: state,
        merged_into: c.merged_into,
        created_by: c.created_by,
        status: status_words(state),
    })
}

/// Complaints, newest first: the bureau, departments and administrators all, a township its
/// own.
pub fn list(app: &App, caller: &Caller, f: &ListFilter) -> AppResult<Vec<ComplaintView>> {
    let limit = f.limit.unwrap_or(LIST_MAX).clamp(1, LIST_MAX);
    Ok(list_page(app, caller, f, Page::first(limit))?.items)
}

/// A page of the complaints (newest first) and how many there are: the bureau,
/// departments and administrators all, a township its own; `f.limit` does not apply.
pub fn list_page(
    app: &App,
    caller: &Caller,
    f: &ListFilter,
    page: Page,
) -> AppResult<Paged<ComplaintView>> {
    let own = scope(app, caller)?;
    if let Some(c) = &f.category {
        check_category(c)?;
    }
    let rows = app.store.complaints_page(
        &ComplaintFilter {
            township: own.or_else(|| f.township.clone()),
            category: f
                .category
                .as_deref()
                .and_then(Category::parse)
                .map(|c| c.as_str().to_owned()),
            since_ms: f.from_ms,
            until_ms: f.to_ms,
            limit: 0,
        },
        page,
    )?;
    rows.try_map(|c| view(app, caller, c))
}

/// One complaint (a township: only its own).
pub fn one(app: &App, caller: &Caller, id: i64) -> AppResult<ComplaintView> {
    let own = scope(app, caller)?;
    let c = app
        .store
        .complaint(id)?
        .filter(|c| own.is_none() || c.township == own)
        .ok_or_else(|| AppError::NotFound(format!("complaint {id}")))?;
    view(app, caller, c)
}

/// A complaint's photo: its bytes and MIME type (who sees the complaint).
pub fn photo(app: &App, caller: &Caller, id: i64) -> AppResult<(Vec<u8>, &'static str)> {
    let c = one(app, caller, id)?;
    let p = c
        .photo
        .ok_or_else(|| AppError::NotFound(format!("complaint {id} has no photo")))?;
    let dir = app
        .data_dir
        .clone()
        .ok_or_else(|| AppError::Unavailable("no data directory for photos".to_owned()))?;
    let path = dir.join("complaints").join(&p.file);
    let bytes =
        std::fs::read(&path).map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    let mime = if p.file.ends_with(".png") {
        "image/png"
    } else {
        "image/jpeg"
    };
    Ok((bytes, mime))
}

/// Hot spots: counts by category × month (Beijing time) × township, and every complaint's
/// point (merged repeats count once: they are one complaint).
pub fn hot_spots(app: &App, caller: &Caller, f: &ListFilter) -> AppResult<HotSpots> {
    let rows = list(app, caller, f)?;
    let mut counts: BTreeMap<(Category, String, Option<String>), u32> = BTreeMap::new();
    let mut points = Vec::new();
    for c in rows.iter().filter(|c| c.merged_into.is_none()) {
        let Some(cat) = Category::parse(&c.category.key) else {
            continue;
        };
        let month = c.submitted.get(..7).unwrap_or_default().to_owned();
        *counts
            .entry((cat, month.clone(), c.township.clone()))
            .or_default() += 1;
        points.push(HotPoint {
            lat: c.lat,
            lon: c.lon,
            category: cat,
            month,
            closed: c.task_state.is_some_and(State::is_closed),
        });
    }
    Ok(HotSpots {
        counts: counts
            .into_iter()
            .map(|((category, month, township), count)| HotCount {
                category,
                month,
                township,
                count,
            })
            .collect(),
        points,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Account, Clock, County};
    use lantian_core::org::Role;
    use lantian_store::Store;
    use std::sync::Arc;

    const NOW_MS: i64 = 1_780_000_000_000;
    /// Inside 辛集镇 (its unit's point), and far outside the county.
    const INSIDE: (f64, f64) = (37.943, 115.218);
    const OUTSIDE: (f64, f64) = (30.0, 120.0);

    fn app(tag: &str) -> App {
        let dir =
            std::env::temp_dir().join(format!("lantian-complaints-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open_data_dir(&dir).unwrap());
        App::new(
            store,
            Clock::Fixed { unix_ms: NOW_MS },
            Arc::new(County::xinji()),
            Some(dir),
        )
    }

    fn account(name: &str, role: Role, unit: Option<&str>) -> Caller {
        Caller::Account(Account {
            username: name.into(),
            role,
            unit_id: unit.map(str::to_owned),
            unit_kind: None,
            source: "192.0.2.1".into(),
        })
    }

    /// A token issued `age_ms` ago.
    fn token(app: &App, age_ms: i64, nonce: &str) -> String {
        sign_token(
            &app.store.complaint_secret().unwrap(),
            NOW_MS - age_ms,
            nonce,
        )
    }

    fn input(app: &App, n: usize) -> PublicInput {
        PublicInput {
            category: "油烟".into(),
            text: format!("饭店油烟直排，呛人 {n}"),
            lat: Some(INSIDE.0 + n as f64 * 0.003),
            lon: Some(INSIDE.1),
            address: "和平路 8 号".into(),
            contact: Some("13800000000".into()),
            photo: None,
            form_token: token(app, 10_000, &format!("nonce{n}")),
            honeypot: String::new(),
        }
    }

    /// A JPEG of SOI, an APP1 EXIF segment, an APP0 segment, SOS and EOI.
    fn jpeg_with_exif() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        let exif = b"Exif\0\0GPS 37.9N 115.2E 2026:05:01";
        b.extend_from_slice(&[0xFF, 0xE1]);
        b.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
        b.extend_from_slice(exif);
        b.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x07, b'J', b'F', b'I', b'F', 0]);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x11, 0x22, 0xFF, 0xD9]);
        b
    }

    fn png_with_text() -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        let chunk = |b: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]| {
            b.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
            b.extend_from_slice(kind);
            b.extend_from_slice(data);
            b.extend_from_slice(&[0, 0, 0, 0]);
        };
        chunk(&mut b, b"IHDR", &[0; 13]);
        chunk(&mut b, b"tEXt", b"Author\0Zhang San");
        chunk(&mut b, b"eXIf", b"MM\0*GPS");
        chunk(&mut b, b"IDAT", &[1, 2, 3]);
        chunk(&mut b, b"IEND", &[]);
        b
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn bad_public_submissions_are_refused_with_what_where_and_why_and_store_nothing() {
        let app = app("bad");
        type Edit = fn(&App, &mut PublicInput);
        // (case, edit, expected error kind, words the message must hold)
        let cases: Vec<(&str, Edit, &str, &str)> = vec![
            ("no location", |_, i| i.lat = None, "bad", "location"),
            (
                "outside the county",
                |_, i| (i.lat, i.lon) = (Some(OUTSIDE.0), Some(OUTSIDE.1)),
                "bad",
                "outside the county",
            ),
            (
                "bad category",
                |_, i| i.category = "noise".into(),
                "bad",
                "category: `noise`",
            ),
            (
                "script in the text",
                |_, i| i.text = "很臭 <script>alert(1)</script>".into(),
                "bad",
                "script at character 4",
            ),
            (
                "markup in the address",
                |_, i| i.address = "<img src=x onerror=1>".into(),
                "bad",
                "address",
            ),
            (
                "control character",
                |_, i| i.text = "很臭很臭\u{0007}很臭".into(),
                "bad",
                "U+0007",
            ),
            (
                "too short",
                |_, i| i.text = "很臭".into(),
                "bad",
                "at least 5",
            ),
            (
                "too long",
                |_, i| i.text = "臭".repeat(1001),
                "bad",
                "at most 1000",
            ),
            (
                "huge photo",
                |_, i| {
                    let mut p = jpeg_with_exif();
                    p.resize(PHOTO_BYTES_MAX + 1, 0);
                    i.photo = Some(p);
                },
                "bad",
                "5 MiB",
            ),
            (
                "a PDF as photo",
                |_, i| i.photo = Some(b"%PDF-1.7 ...".to_vec()),
                "bad",
                "JPEG or PNG",
            ),
            (
                "a broken JPEG",
                |_, i| i.photo = Some(vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00]),
                "bad",
                "JPEG or PNG",
            ),
            (
                "too fast",
                |a, i| i.form_token = token(a, 1_000, "fast"),
                "slow",
                "too fast",
            ),
            (
                "stale token",
                |a, i| i.form_token = token(a, TOKEN_AGE_MS_MAX + 1, "old"),
                "bad",
                "6 hours",
            ),
            (
                "forged token",
                |a, i| i.form_token = token(a, 10_000, "x").replace(".x.", ".y."),
                "bad",
                "form_token",
            ),
            (
                "no token",
                |_, i| i.form_token = String::new(),
                "bad",
                "form_token",
            ),
            (
                "honeypot",
                |_, i| i.honeypot = "http://spam.example".into(),
                "bad",
                "do not see",
            ),
        ];
        for (case, edit, kind, words) in cases {
            let mut i = input(&app, 0);
            edit(&app, &mut i);
            let err = submit_public(&app, i, "198.51.100.7").unwrap_err();
            let (got, msg) = match &err {
                AppError::BadRequest(m) => ("bad", m.clone()),
                AppError::TooManyRequests(m) => ("slow", m.clone()),
                other => ("other", other.to_string()),
            };
            assert_eq!(got, kind, "{case}: {err}");
            assert!(msg.contains(words), "{case}: {msg}");
            assert!(msg.contains(" / "), "{case}: Chinese and English: {msg}");
        }
        let all = app.store.complaints(&ComplaintFilter {
            limit: 100,
            ..Default::default()
        });
        assert_eq!(all.unwrap().len(), 0);
        assert!(app.store.tasks(&Default::default()).unwrap().is_empty());
    }

    #[test]
    fn a_public_complaint_becomes_a_task_of_its_township_and_the_lookup_shows_no_private_data() {
        let app = app("flow");
        let mut i = input(&app, 0);
        i.photo = Some(jpeg_with_exif());
        let s = submit_public(&app, i, "198.51.100.7").unwrap();
        assert_eq!(s.status, "dispatched");
        assert_eq!(s.township.as_deref(), Some("xinji"));
        let task = app.store.task(s.task_id.unwrap()).unwrap().unwrap();
        assert_eq!(task.source, Source::Complaint);
        assert_eq!(task.township.as_deref(), Some("xinji"));
        assert_eq!(task.state, State::Dispatched);
        // The stored photo lost its EXIF, kept its image data.
        let c = app.store.complaint(s.id).unwrap().unwrap();
        let p = c.photo.unwrap();
        let bytes = std::fs::read(
            app.data_dir
                .clone()
                .unwrap()
                .join("complaints")
                .join(&p.file),
        )
        .unwrap();
        assert!(!contains(&bytes, b"Exif") && !contains(&bytes, b"GPS"));
        assert!(contains(&bytes, b"JFIF") && bytes.ends_with(&[0x11, 0x22, 0xFF, 0xD9]));
        assert_eq!(p.sha256, store::sha256_hex(&bytes));
        assert_eq!(c.client_hash.as_deref().map(str::len), Some(32));
        assert!(!c.client_hash.unwrap().contains("198.51"));
        // The lookup, typed in lower case with a dash, shows progress and nothing private.
        let typed = format!("{}-{}", &s.code[..5], &s.code[5..]).to_lowercase();
        let l = lookup(&app, &typed).unwrap();
        assert_eq!(l.code, s.code);
        assert_eq!(l.category.zh, "油烟");
        assert_eq!(l.status.key, "dispatched");
        assert_eq!(l.township.as_ref().unwrap().zh, "辛集镇");
        assert_eq!(l.steps.len(), 1);
        assert!(!l.closed);
        let json = serde_json::to_string(&l).unwrap();
        for private in ["13800000000", "饭店油烟直排", "和平路", "system", "public"] {
            assert!(!json.contains(private), "{private} in {json}");
        }
        // Codes that are malformed or unknown.
        assert!(matches!(lookup(&app, "ABC"), Err(AppError::BadRequest(_))));
        assert!(matches!(
            lookup(&app, "AAAAAAAAAA"),
            Err(AppError::NotFound(_))
        ));
    }

    #[test]
    fn repeats_merge_tokens_are_good_once_and_addresses_are_limited_per_hour_and_day() {
        let app = app("spam");
        let first = submit_public(&app, input(&app, 0), "198.51.100.7").unwrap();
        // The same text 100 m away within the hour, from someone else: merged.
        let mut again = input(&app, 0);
        again.form_token = token(&app, 10_000, "other");
        again.lat = again.lat.map(|l| l + 0.0009);
        again.text = format!("  {}  ", again.text.replace(' ', "   "));
        let merged = submit_public(&app, again, "203.0.113.5").unwrap();
        assert_eq!(merged.status, "merged");
        assert_eq!(merged.task_id, first.task_id);
        assert_ne!(merged.code, first.code);
        assert_eq!(app.store.tasks(&Default::default()).unwrap().len(), 1);
        // A used token is refused, with the same text or another, and creates no task.
        for text in ["饭店油烟直排，呛人 0", "另一条投诉：烧烤油烟"] {
            let mut i = input(&app, 0);
            i.text = text.into();
            let err = submit_public(&app, i, "192.0.2.50").unwrap_err();
            assert!(matches!(err, AppError::Conflict(_)), "{err}");
        }
        assert_eq!(app.store.tasks(&Default::default()).unwrap().len(), 1);
        // Five an hour from one address (198.51.100.7 has one), the sixth refused; an IPv6
        // /64 counts as one address.
        for n in 1..PER_ADDRESS_PER_HOUR_MAX as usize {
            submit_public(&app, input(&app, n), "198.51.100.7").unwrap();
        }
        let err = submit_public(&app, input(&app, 9), "198.51.100.7").unwrap_err();
        assert!(
            matches!(&err, AppError::TooManyRequests(m) if m.contains("at most 5")),
            "{err}"
        );
        for n in 10..15 {
            submit_public(&app, input(&app, n), &format!("2001:db8:1:2::{n}")).unwrap();
        }
        let err = submit_public(&app, input(&app, 15), "2001:db8:1:2:ffff::1").unwrap_err();
        assert!(matches!(err, AppError::TooManyRequests(_)));
        submit_public(&app, input(&app, 16), "2001:db8:1:3::1").unwrap();
    }

    #[test]
    fn staff_type_in_hotline_complaints_and_townships_see_only_their_own_without_contacts() {
        let app = app("staff");
        let bureau = account("bureau1", Role::Bureau, Some("市生态环境局"));
        let xinji = account("xinji1", Role::Township, Some("xinji"));
        let wangkou = account("wangkou1", Role::Township, Some("wangkou"));
        let staff = |channel: &str, n: usize| StaffInput {
            channel: channel.into(),
            category: "dust".into(),
            text: format!("工地扬尘严重 {n}"),
            lat: Some(INSIDE.0),
            lon: Some(INSIDE.1 + n as f64 * 0.003),
            address: String::new(),
            contact: Some("李先生 13900000000".into()),
            photo: None,
            occurred_ms: Some(NOW_MS - 3_600_000),
        };
        // (caller, channel, allowed)
        let cases = [
            (&bureau, "12345", Ok(())),
            (&bureau, "12369", Ok(())),
            (&bureau, "web", Err("channel")),
            (&xinji, "12345", Err("forbidden")),
            (&Caller::Public, "12345", Err("unauthorized")),
        ];
        for (n, (caller, channel, want)) in cases.into_iter().enumerate() {
            let got = submit_staff(&app, caller, staff(channel, n));
            match (want, got) {
                (Ok(()), Ok(s)) => assert_eq!(s.status, "dispatched"),
                (Err("channel"), Err(AppError::BadRequest(m))) => assert!(m.contains("channel")),
                (Err("forbidden"), Err(AppError::Forbidden(_))) => {}
                (Err("unauthorized"), Err(AppError::Unauthorized)) => {}
                (w, g) => panic!("{channel}: wanted {w:?}, got {g:?}"),
            }
        }
        let all = list(&app, &bureau, &ListFilter::default()).unwrap();
        assert_eq!(all.len(), 2);
        assert!(
            all.iter()
                .all(|c| c.contact.is_some() && c.created_by == "bureau1")
        );
        let own = list(&app, &xinji, &ListFilter::default()).unwrap();
        assert_eq!(own.len(), 2);
        assert!(own.iter().all(|c| c.contact.is_none()));
        assert!(
            list(&app, &wangkou, &ListFilter::default())
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            one(&app, &wangkou, all[0].id),
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            list(&app, &Caller::Public, &ListFilter::default()),
            Err(AppError::Unauthorized)
        ));
        let events = app.store.audit_events(100).unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| e.action == "complaint.add" && e.actor == "bureau1")
                .count(),
            2
        );
        let hot = hot_spots(&app, &bureau, &ListFilter::default()).unwrap();
        assert_eq!(hot.points.len(), 2);
        assert_eq!(hot.counts.len(), 1);
        assert_eq!(hot.counts[0].count, 2);
        assert_eq!(hot.counts[0].category, Category::Dust);
        assert_eq!(hot.counts[0].township.as_deref(), Some("xinji"));
        assert_eq!(hot.counts[0].month, cst::format_unix_ms(NOW_MS)[..7]);
    }

    #[test]
    fn photos_lose_their_metadata_and_keep_their_image() {
        let (jpg, ext) = check_photo(&jpeg_with_exif()).unwrap();
        assert_eq!(ext, "jpg");
        assert!(!contains(&jpg, b"Exif"));
        assert_eq!(
            jpg.len(),
            jpeg_with_exif().len() - 4 - b"Exif\0\0GPS 37.9N 115.2E 2026:05:01".len()
        );
        let (png, ext) = check_photo(&png_with_text()).unwrap();
        assert_eq!(ext, "png");
        assert!(!contains(&png, b"Zhang San") && !contains(&png, b"eXIf"));
        assert!(
            contains(&png, b"IHDR")
                && contains(&png, b"IDAT")
                && png.ends_with(&[b'I', b'E', b'N', b'D', 0, 0, 0, 0])
        );
    }
}
