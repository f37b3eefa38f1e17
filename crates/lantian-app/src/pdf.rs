//! A small PDF renderer for reports such as the heavy-pollution episode report: a title,
//! subtitle lines, sections of headings, wrapped paragraphs and tables, on numbered A4 pages in
//! a CJK font found at run time (krilla writes the PDF and subsets the font).

use crate::error::{AppError, AppResult};
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A report: its title, a few lines under it (place, period, author) and its sections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub subtitle: Vec<String>,
    pub sections: Vec<Section>,
}

/// A heading, its paragraphs (a `\n` starts a new line), then an optional table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub table: Option<Table>,
}

/// A table: a header row, repeated on every page the rows run over, and rows of cells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Where the font comes from when `LANTIAN_PDF_FONT` is not set: Debian's packages, in order.
const FONT_PATHS: [&str; 6] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
];
/// The face of the Noto CJK collections (JP, KR, SC, TC, HK) with simplified Chinese shapes.
const NOTO_CJK_SC_FACE: u32 = 2;
const NO_FONT: &str = "生成 PDF 需要中文字体（如 Debian 的 fonts-wqy-microhei），或以 LANTIAN_PDF_FONT 指定字体文件 / a PDF needs a CJK font (e.g. Debian's fonts-wqy-microhei), or LANTIAN_PDF_FONT naming a font file";

/// A4 portrait in points, with 15 mm margins.
const PAGE_WIDTH_PT: f32 = 595.28;
const PAGE_HEIGHT_PT: f32 = 841.89;
const MARGIN_PT: f32 = 42.52;
const CONTENT_WIDTH_PT: f32 = PAGE_WIDTH_PT - 2.0 * MARGIN_PT;
const TOP_PT: f32 = MARGIN_PT;
const BOTTOM_PT: f32 = PAGE_HEIGHT_PT - MARGIN_PT;
/// The page number's baseline, halfway into the bottom margin.
const FOOTER_BASELINE_PT: f32 = PAGE_HEIGHT_PT - MARGIN_PT / 2.0;

const TITLE_SIZE_PT: f32 = 16.0;
const SUBTITLE_SIZE_PT: f32 = 10.0;
const HEADING_SIZE_PT: f32 = 12.0;
const BODY_SIZE_PT: f32 = 10.0;
const TABLE_SIZE_PT: f32 = 9.0;
const FOOTER_SIZE_PT: f32 = 8.0;
/// A line is 1.4 font sizes high, its baseline 1.1 sizes below its top (the CJK ascent plus
/// half the leading).
const LINE_EM: f32 = 1.4;
const BASELINE_EM: f32 = 1.1;
const GAP_PT: f32 = 6.0;

const CELL_PAD_X_PT: f32 = 3.0;
const CELL_PAD_Y_PT: f32 = 2.0;
/// No column takes more than this share of the width before scaling, so one long column
/// cannot squeeze the others to nothing.
const COLUMN_SHARE_MAX: f32 = 0.45;
const CELL_LINES_MAX: usize = 3;
const GRID_WIDTH_PT: f32 = 0.5;
const HEADER_GREY: u8 = 230;
/// Slack for sums of floats when a line or a row exactly fills what is left.
const FIT_SLACK_PT: f32 = 0.01;

/// The CJK font file used: $LANTIAN_PDF_FONT if set, else the first of the usual Debian paths
/// (fonts-wqy-microhei: /usr/share/fonts/truetype/wqy/wqy-microhei.ttc; wqy-zenhei;
/// fonts-noto-cjk NotoSansCJK-Regular.ttc ...).
pub fn font_path() -> Option<PathBuf> {
    let candidates = FONT_PATHS.map(Path::new);
    font_path_from(std::env::var_os("LANTIAN_PDF_FONT"), &candidates)
}

fn font_path_from(env: Option<std::ffi::OsString>, candidates: &[&Path]) -> Option<PathBuf> {
    match env.filter(|v| !v.is_empty()) {
        // A font named on purpose is used or refused, never silently replaced.
        Some(v) => Some(PathBuf::from(v)),
        None => candidates
            .iter()
            .find(|p| p.is_file())
            .map(|p| p.to_path_buf()),
    }
}

/// Renders the document as A4 PDF bytes.
pub fn render(doc: &Document) -> AppResult<Vec<u8>> {
    let face = Face::load(font_path(), doc)?;
    let pages = lay_out(doc, &face);
    let mut pdf = krilla::Document::new();
    pdf.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .language("zh-CN".into()),
    );
    let total = pages.len();
    for (n, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_WIDTH_PT, PAGE_HEIGHT_PT)
            .ok_or_else(|| AppError::Internal("PDF: bad page size".into()))?;
        let mut page = pdf.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, &face, op);
        }
        let footer = format!("第 {} 页 / 共 {total} 页", n + 1);
        let x = (PAGE_WIDTH_PT - face.width_pt(&footer, FOOTER_SIZE_PT)) / 2.0;
        draw(
            &mut surface,
            &face,
            &text_op(x, FOOTER_BASELINE_PT, FOOTER_SIZE_PT, footer),
        );
        surface.finish();
        page.finish();
    }
    pdf.finish()
        .map_err(|e| AppError::Internal(format!("PDF: {e}")))
}

/// The font with the glyph and advance of every character the document uses, measured once.
struct Face {
    font: Font,
    /// Glyph id and advance in ems; characters the font lacks are absent and drawn as glyph 0.
    glyphs: HashMap<char, (u32, f32)>,
    missing_advance_em: f32,
}

impl Face {
    fn load(path: Option<PathBuf>, doc: &Document) -> AppResult<Face> {
        let path = path.ok_or_else(|| AppError::Unavailable(NO_FONT.into()))?;
        let bad =
            |why: String| AppError::Unavailable(format!("{}: {why}; {NO_FONT}", path.display()));
        let data = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
        let is_noto_cjk = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("Noto") && n.contains("CJK") && n.ends_with(".ttc"));
        let index = if is_noto_cjk { NOTO_CJK_SC_FACE } else { 0 };
        let (glyphs, missing_advance_em) = {
            let font = FontRef::from_index(&data, index).map_err(|e| bad(e.to_string()))?;
            let upem = f32::from(
                font.metrics(Size::unscaled(), LocationRef::default())
                    .units_per_em,
            );
            let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
            let charmap = font.charmap();
            let advance_em = |g| metrics.advance_width(g).unwrap_or(0.0) / upem;
            let glyphs = document_chars(doc)
                .into_iter()
                .filter_map(|c| charmap.map(c).map(|g| (c, (g.to_u32(), advance_em(g)))))
                .collect();
            (glyphs, advance_em(skrifa::GlyphId::NOTDEF))
        };
        let font = Font::new(data.into(), index).ok_or_else(|| bad("not a usable font".into()))?;
        Ok(Face {
            font,
            glyphs,
            missing_advance_em,
        })
    }

    fn advance_em(&self, c: char) -> f32 {
        self.glyphs.get(&c).map_or(self.missing_advance_em, |g| g.1)
    }

    fn width_pt(&self, text: &str, size_pt: f32) -> f32 {
        text.chars().map(|c| self.advance_em(c)).sum::<f32>() * size_pt
    }

    /// The text wrapped to `width_pt` at `size_pt`.
    fn wrap(&self, text: &str, width_pt: f32, size_pt: f32) -> Vec<String> {
        wrap(text, width_pt / size_pt, |c| self.advance_em(c))
    }
}

/// Every character the renderer may draw: the document's, the ellipsis and the page numbers'.
fn document_chars(doc: &Document) -> BTreeSet<char> {
    let mut texts: Vec<&str> = vec!["…第页共/ 0123456789", &doc.title];
    texts.extend(doc.subtitle.iter().map(String::as_str));
    for s in &doc.sections {
        texts.push(&s.heading);
        texts.extend(s.paragraphs.iter().map(String::as_str));
        if let Some(t) = &s.table {
            texts.extend(
                t.headers
                    .iter()
                    .chain(t.rows.iter().flatten())
                    .map(String::as_str),
            );
        }
    }
    texts.iter().flat_map(|t| t.chars()).collect()
}

/// Punctuation that may not begin a line: it stays with the character before it.
const NO_LINE_START: &str = "，。、；：！？）》」』】…％,.;:!?)%";

/// Breaks text into lines no wider than `width` (in the unit of `advance`): between words at
/// spaces, between any two CJK characters (which have no spaces), and inside a word only when
/// the word alone is wider than a line. Each `\n` starts a new line.
fn wrap(text: &str, width: f32, advance: impl Fn(char) -> f32) -> Vec<String> {
    let measure = |s: &str| s.chars().map(&advance).sum::<f32>();
    let mut lines = Vec::new();
    for hard_line in text.split('\n') {
        let start = lines.len();
        let mut line = String::new();
        let mut line_width = 0.0;
        for unit in units(hard_line) {
            if unit.starts_with(char::is_whitespace) {
                if !line.is_empty() {
                    line.push_str(unit);
                    line_width += measure(unit);
                }
                continue;
            }
            let unit_width = measure(unit);
            if line_width + unit_width <= width + FIT_SLACK_PT {
                line.push_str(unit);
                line_width += unit_width;
            } else if unit_width <= width + FIT_SLACK_PT {
                lines.push(line.trim_end().to_string());
                line = unit.to_string();
                line_width = unit_width;
            } else {
                for c in unit.chars() {
                    if line_width + advance(c) > width + FIT_SLACK_PT && !line.trim().is_empty() {
                        lines.push(line.trim_end().to_string());
                        line.clear();
                        line_width = 0.0;
                    }
                    line.push(c);
                    line_width += advance(c);
                }
            }
        }
        if !line.trim().is_empty() || lines.len() == start {
            lines.push(line.trim_end().to_string());
        }
    }
    lines
}

/// The pieces a line may break between: runs of spaces, words of narrow characters, single
/// wide (CJK) characters; punctuation that may not begin a line joins the piece before it.
fn units(text: &str) -> Vec<&str> {
    let wide = |c: char| c >= '\u{2E80}';
    let mut units: Vec<(usize, usize)> = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        let joins = match (prev, units.last_mut()) {
            (Some(p), Some(_)) => {
                if c.is_whitespace() {
                    p.is_whitespace()
                } else {
                    !p.is_whitespace() && (NO_LINE_START.contains(c) || (!wide(c) && !wide(p)))
                }
            }
            _ => false,
        };
        match units.last_mut() {
            Some(last) if joins => last.1 = end,
            _ => units.push((i, end)),
        }
        prev = Some(c);
    }
    units.into_iter().map(|(a, b)| &text[a..b]).collect()
}

/// Keeps at most `max` lines, ending the last one kept with "…" when some were dropped.
fn truncate(
    mut lines: Vec<String>,
    max: usize,
    width: f32,
    advance: impl Fn(char) -> f32,
) -> Vec<String> {
    if lines.len() <= max {
        return lines;
    }
    lines.truncate(max);
    if let Some(last) = lines.last_mut() {
        while !last.is_empty() && last.chars().chain(['…']).map(&advance).sum::<f32>() > width {
            last.pop();
        }
        last.push('…');
    }
    lines
}

/// What is drawn on a page, in page coordinates (points, origin top left, y down).
#[derive(Debug)]
enum Op {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        text: String,
    },
    Cell {
        rect: (f32, f32, f32, f32),
        shaded: bool,
    },
}

fn text_op(x: f32, baseline: f32, size: f32, text: String) -> Op {
    Op::Text {
        x,
        baseline,
        size,
        text,
    }
}

/// Pages being filled from the top, with the position of the next line.
struct Pages {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Pages {
    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    /// Starts a new page unless `height_pt` still fits on this one (or this one is empty).
    fn make_room(&mut self, height_pt: f32) {
        if self.y + height_pt > BOTTOM_PT + FIT_SLACK_PT && !self.page().is_empty() {
            self.pages.push(Vec::new());
            self.y = TOP_PT;
        }
    }

    /// Lines of text at one size, each kept whole, centred or from the left margin.
    fn lines(&mut self, face: &Face, text: &str, size: f32, centred: bool) {
        for line in face.wrap(text, CONTENT_WIDTH_PT, size) {
            self.make_room(size * LINE_EM);
            let x = if centred {
                (PAGE_WIDTH_PT - face.width_pt(&line, size)) / 2.0
            } else {
                MARGIN_PT
            };
            let baseline = self.y + size * BASELINE_EM;
            self.page().push(text_op(x, baseline, size, line));
            self.y += size * LINE_EM;
        }
    }
}

fn lay_out(doc: &Document, face: &Face) -> Vec<Vec<Op>> {
    let mut p = Pages {
        pages: Vec::new(),
        y: TOP_PT,
    };
    if !doc.title.is_empty() {
        p.lines(face, &doc.title, TITLE_SIZE_PT, true);
    }
    for line in &doc.subtitle {
        p.lines(face, line, SUBTITLE_SIZE_PT, true);
    }
    if !doc.title.is_empty() || !doc.subtitle.is_empty() {
        p.y += 2.0 * GAP_PT;
    }
    for section in &doc.sections {
        if !section.heading.is_empty() {
            // A heading stays with at least one line of what follows it.
            p.make_room((HEADING_SIZE_PT + BODY_SIZE_PT) * LINE_EM + GAP_PT);
            if p.y > TOP_PT {
                p.y += GAP_PT;
            }
            p.lines(face, &section.heading, HEADING_SIZE_PT, false);
            p.y += GAP_PT / 2.0;
        }
        for paragraph in &section.paragraphs {
            p.lines(face, paragraph, BODY_SIZE_PT, false);
            p.y += GAP_PT / 2.0;
        }
        if let Some(table) = &section.table {
            lay_out_table(&mut p, face, table);
            p.y += GAP_PT;
        }
    }
    p.page();
    p.pages
}

fn lay_out_table(p: &mut Pages, face: &Face, table: &Table) {
    let columns = table
        .rows
        .iter()
        .map(Vec::len)
        .chain([table.headers.len()])
        .max()
        .unwrap_or(0);
    if columns == 0 {
        return;
    }
    fn cell(row: &[String], i: usize) -> &str {
        row.get(i).map_or("", String::as_str)
    }
    let natural: Vec<f32> = (0..columns)
        .map(|i| {
            let widest = table
                .rows
                .iter()
                .map(|r| cell(r, i))
                .chain([cell(&table.headers, i)])
                .map(|t| face.width_pt(t, TABLE_SIZE_PT))
                .fold(2.0 * TABLE_SIZE_PT, f32::max);
            (widest + 2.0 * CELL_PAD_X_PT).min(COLUMN_SHARE_MAX * CONTENT_WIDTH_PT)
        })
        .collect();
    let scale = CONTENT_WIDTH_PT / natural.iter().sum::<f32>();
    let widths: Vec<f32> = natural.iter().map(|w| w * scale).collect();
    let line_pt = TABLE_SIZE_PT * LINE_EM;
    let row_cells = |row: &[String]| -> Vec<Vec<String>> {
        widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let inner = (w - 2.0 * CELL_PAD_X_PT) / TABLE_SIZE_PT;
                let advance = |c| face.advance_em(c);
                truncate(
                    wrap(cell(row, i), inner, advance),
                    CELL_LINES_MAX,
                    inner,
                    advance,
                )
            })
            .collect()
    };
    let height = |cells: &[Vec<String>]| {
        cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * line_pt + 2.0 * CELL_PAD_Y_PT
    };
    let header = row_cells(&table.headers);
    let header_pt = height(&header);
    let row_out = |p: &mut Pages, cells: &[Vec<String>], shaded: bool| {
        let row_pt = height(cells);
        let mut x = MARGIN_PT;
        let y = p.y;
        for (lines, w) in cells.iter().zip(&widths) {
            p.page().push(Op::Cell {
                rect: (x, y, *w, row_pt),
                shaded,
            });
            for (k, line) in lines.iter().enumerate() {
                let baseline = y + CELL_PAD_Y_PT + k as f32 * line_pt + TABLE_SIZE_PT * BASELINE_EM;
                p.page().push(text_op(
                    x + CELL_PAD_X_PT,
                    baseline,
                    TABLE_SIZE_PT,
                    line.clone(),
                ));
            }
            x += w;
        }
        p.y += row_pt;
    };
    let rows: Vec<Vec<Vec<String>>> = table.rows.iter().map(|r| row_cells(r)).collect();
    p.make_room(header_pt + rows.first().map_or(0.0, |r| height(r)));
    row_out(p, &header, true);
    for cells in &rows {
        let before = p.pages.len();
        p.make_room(height(cells));
        if p.pages.len() > before {
            row_out(p, &header, true);
        }
        row_out(p, cells, false);
    }
}

fn draw(surface: &mut Surface, face: &Face, op: &Op) {
    match op {
        Op::Text {
            x,
            baseline,
            size,
            text,
        } => {
            let glyphs: Vec<KrillaGlyph> = text
                .char_indices()
                .map(|(i, c)| {
                    let (id, advance) = face
                        .glyphs
                        .get(&c)
                        .copied()
                        .unwrap_or((0, face.missing_advance_em));
                    KrillaGlyph::new(
                        GlyphId::new(id),
                        advance,
                        0.0,
                        0.0,
                        0.0,
                        i..i + c.len_utf8(),
                        None,
                    )
                })
                .collect();
            surface.set_stroke(None);
            surface.set_fill(Some(Fill::default()));
            surface.draw_glyphs(
                Point::from_xy(*x, *baseline),
                &glyphs,
                face.font.clone(),
                text,
                *size,
                false,
            );
        }
        Op::Cell {
            rect: (x, y, w, h),
            shaded,
        } => {
            let mut path = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                path.push_rect(rect);
            }
            let Some(path) = path.finish() else { return };
            surface.set_fill(shaded.then(|| Fill {
                paint: luma::Color::new(HEADER_GREY).into(),
                ..Fill::default()
            }));
            surface.set_stroke(Some(Stroke {
                width: GRID_WIDTH_PT,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};

    const INSTALL_FONT: &str = "these tests need a CJK font: install Debian's fonts-wqy-microhei \
        (sudo apt-get install -y fonts-wqy-microhei; CI installs it) or set LANTIAN_PDF_FONT";

    fn render_or_fail(doc: &Document) -> Vec<u8> {
        render(doc).unwrap_or_else(|e| panic!("{e}\n{INSTALL_FONT}"))
    }

    /// An episode report in Chinese and English whose table has `rows` rows; every seventh note
    /// is long enough to wrap, every thirteenth too long for its cell.
    fn episode_report(rows: usize) -> Document {
        let stations = ["市监测站", "开发区", "旧城 Old town", "新垒头镇"];
        let table = Table {
            headers: [
                "编号 No.",
                "时间 Hour",
                "站点 Station",
                "AQI",
                "PM2.5 (μg/m³)",
                "说明 Note",
            ]
            .map(String::from)
            .to_vec(),
            rows: (1..=rows)
                .map(|k| {
                    let note = match (k % 13, k % 7) {
                        (0, _) => {
                            "静稳天气叠加区域传输，PM2.5 浓度持续升高，夜间逆温层压低混合层高度，\
                            stagnant weather, regional transport and a low night-time mixing layer \
                            kept concentrations high for the whole day"
                                .to_string()
                        }
                        (_, 0) => "区域传输为主 / mostly regional transport".to_string(),
                        _ => String::new(),
                    };
                    vec![
                        format!("R{k:03}"),
                        format!("1月{}日 {}时", 1 + k / 24, k % 24),
                        stations[k % stations.len()].to_string(),
                        (150 + k % 150).to_string(),
                        format!("{:.1}", 115.0 + (k % 97) as f64 * 1.5),
                        note,
                    ]
                })
                .collect(),
        };
        Document {
            title: "辛集市重污染天气过程分析报告 Heavy-pollution episode report".into(),
            subtitle: vec![
                "2027 年 1 月 3 日至 1 月 9 日 / 3 to 9 January 2027".into(),
                "辛集市生态环境局 Xinji Ecology and Environment Bureau".into(),
            ],
            sections: vec![
                Section {
                    heading: "一、过程概况 Overview".into(),
                    paragraphs: vec![
                        "受不利气象条件和区域污染传输共同影响，1 月 3 日至 9 日我市出现一次持续七天的重污染过程，\
                            其中重度及以上污染四天，首要污染物为细颗粒物（PM2.5），日均浓度最高达到每立方米 268 微克。"
                            .into(),
                        "Under stagnant weather and regional transport, the city had a seven-day heavy-pollution \
                            episode from 3 to 9 January; PM2.5 was the primary pollutant on every day."
                            .into(),
                    ],
                    table: None,
                },
                Section {
                    heading: "二、逐时数据 Hourly values".into(),
                    paragraphs: vec!["下表列出过程期间各站的小时值。".into()],
                    table: Some(table),
                },
            ],
        }
    }

    fn count(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    }

    /// Page objects, `/Type/Page` as krilla writes them (or `/Type /Page`), not the page tree's
    /// `/Type/Pages`.
    fn page_count(pdf: &[u8]) -> usize {
        [b"/Type/Page".as_slice(), b"/Type /Page"]
            .map(|p| count(pdf, p))
            .iter()
            .sum::<usize>()
            - [b"/Type/Pages".as_slice(), b"/Type /Pages"]
                .map(|p| count(pdf, p))
                .iter()
                .sum::<usize>()
    }

    /// The decompressed ToUnicode CMaps of the PDF, upper-cased.
    fn to_unicode_cmaps(pdf: &[u8]) -> String {
        let mut cmaps = String::new();
        let mut rest = pdf;
        while let Some(start) = rest.windows(7).position(|w| w == b"stream\n") {
            let body = &rest[start + 7..];
            let Some(end) = body.windows(10).position(|w| w == b"\nendstream") else {
                break;
            };
            let mut text = String::new();
            if flate2::read::ZlibDecoder::new(&body[..end])
                .read_to_string(&mut text)
                .is_ok()
                && text.contains("begincmap")
            {
                cmaps.push_str(&text.to_uppercase());
            }
            rest = &body[end + 10..];
        }
        cmaps
    }

    /// The PDF's text by page as poppler's `pdftotext` extracts it, if it is installed.
    fn pdftotext(pdf: &[u8]) -> Option<Vec<String>> {
        let mut child = Command::new("pdftotext")
            .args(["-enc", "UTF-8", "-", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(pdf).ok()?;
        let out = child.wait_with_output().ok()?;
        assert!(out.status.success(), "pdftotext failed on the rendered PDF");
        let text = String::from_utf8(out.stdout).ok()?;
        let mut pages: Vec<String> = text.split('\x0c').map(String::from).collect();
        // A form feed ends every page, the last one too.
        if pages.last().is_some_and(|p| p.trim().is_empty()) {
            pages.pop();
        }
        Some(pages)
    }

    #[test]
    fn a_bilingual_report_renders_its_text_in_an_embedded_subset_font_across_pages() {
        let doc = episode_report(150);
        let pdf = render_or_fail(&doc);
        assert!(pdf.starts_with(b"%PDF-"));
        let pages = page_count(&pdf);
        assert!(
            pages >= 3,
            "150 rows should take 3 pages or more, not {pages}"
        );
        assert!(
            count(&pdf, b"/FontFile2") + count(&pdf, b"/FontFile3") == 1,
            "the font is embedded once"
        );
        let font_bytes = std::fs::metadata(font_path().expect(INSTALL_FONT)).map_or(0, |m| m.len());
        assert!(
            (pdf.len() as u64) < font_bytes / 4,
            "the font is subset, not embedded whole"
        );

        // The glyphs of 重污染 map back to their characters; 龍, not in the report, is not in
        // the subset.
        let cmaps = to_unicode_cmaps(&pdf);
        for c in ['重', '污', '染', 'H', 'μ'] {
            assert!(
                cmaps.contains(&format!("<{:04X}>", c as u32)),
                "{c} is missing from the ToUnicode CMap"
            );
        }
        assert!(
            !cmaps.contains("<9F8D>"),
            "龍 is not in the report, so not in the font subset"
        );

        let Some(texts) = pdftotext(&pdf) else { return };
        assert_eq!(texts.len(), pages);
        let squeeze = |t: &str| t.split_whitespace().collect::<String>();
        let first = squeeze(&texts[0]);
        for expected in [
            "辛集市重污染天气过程分析报告",
            "Heavy-pollutionepisodereport",
            "一、过程概况",
            "首要污染物为细颗粒物（PM2.5）",
            "regionaltransport",
        ] {
            assert!(first.contains(expected), "page 1 lacks {expected}: {first}");
        }
        let mut next_row = 1;
        for (n, text) in texts.iter().enumerate() {
            let flat = squeeze(text);
            assert!(
                flat.contains(&format!("第{}页/共{pages}页", n + 1)),
                "page {} has no page number",
                n + 1
            );
            if n > 0 {
                assert!(
                    flat.contains("编号No.") && flat.contains("说明Note"),
                    "page {} lacks the header row",
                    n + 1
                );
            }
            for word in text
                .split_whitespace()
                .filter(|w| w.len() == 4 && w.starts_with('R'))
            {
                if let Ok(k) = word[1..].parse::<usize>() {
                    assert_eq!(k, next_row, "rows are drawn once each, in order");
                    next_row += 1;
                }
            }
        }
        assert_eq!(next_row, 151, "every row is drawn");
    }

    #[test]
    fn a_table_alone_fills_each_page_with_as_many_one_line_rows_as_fit_under_its_header() {
        let row_pt = TABLE_SIZE_PT * LINE_EM + 2.0 * CELL_PAD_Y_PT;
        let per_page = ((BOTTOM_PT - TOP_PT) / row_pt).floor() as usize - 1;
        for (rows, pages) in [
            (0, 1),
            (1, 1),
            (per_page, 1),
            (per_page + 1, 2),
            (2 * per_page, 2),
            (3 * per_page + 1, 4),
        ] {
            let table = Table {
                headers: vec!["站点".into(), "AQI".into()],
                rows: (0..rows)
                    .map(|k| vec![format!("站{k}"), k.to_string()])
                    .collect(),
            };
            let doc = Document {
                sections: vec![Section {
                    table: Some(table),
                    ..Section::default()
                }],
                ..Document::default()
            };
            assert_eq!(
                page_count(&render_or_fail(&doc)),
                pages,
                "{rows} rows, {per_page} to a page"
            );
        }
    }

    #[test]
    fn lines_break_between_cjk_characters_at_spaces_and_inside_words_only_when_too_long() {
        let cases: [(&str, f32, &[&str]); 9] = [
            ("重污染天气应急预案", 4.0, &["重污染天", "气应急预", "案"]),
            ("the quick brown fox", 10.0, &["the quick", "brown fox"]),
            ("一二三，四", 3.0, &["一二", "三，四"]),
            ("abcdefgh", 3.0, &["abc", "def", "gh"]),
            ("PM2.5浓度超标", 5.0, &["PM2.5", "浓度超标"]),
            ("a  b", 1.0, &["a", "b"]),
            ("第一行\n\n第三行", 10.0, &["第一行", "", "第三行"]),
            ("", 5.0, &[""]),
            ("应急 response", 9.0, &["应急", "response"]),
        ];
        for (text, width, lines) in cases {
            assert_eq!(wrap(text, width, |_| 1.0), lines, "{text:?} in {width}");
        }
    }

    #[test]
    fn cells_longer_than_their_line_limit_end_with_an_ellipsis() {
        let unit = |_| 1.0;
        let cases: [(&str, usize, &[&str]); 3] = [
            ("一二三四五六七八九十", 2, &["一二三", "四五…"]),
            ("一二三四五六", 2, &["一二三", "四五六"]),
            ("ab", 3, &["ab"]),
        ];
        for (text, max, lines) in cases {
            assert_eq!(
                truncate(wrap(text, 3.0, unit), max, 3.0, unit),
                lines,
                "{text:?}"
            );
        }
    }

    #[test]
    fn without_a_font_the_report_is_unavailable_and_names_the_package_to_install() {
        assert_eq!(font_path_from(None, &[]), None);
        assert_eq!(
            font_path_from(Some("".into()), &[Path::new("/nonexistent/a.ttc")]),
            None
        );
        assert_eq!(
            font_path_from(Some("/nonexistent/b.ttf".into()), &[Path::new("/")]),
            Some(PathBuf::from("/nonexistent/b.ttf")),
            "a font named in LANTIAN_PDF_FONT is used or refused, not replaced"
        );
        for (path, named) in [
            (None, ""),
            (
                Some(PathBuf::from("/nonexistent/b.ttf")),
                "/nonexistent/b.ttf",
            ),
        ] {
            match Face::load(path, &Document::default()) {
                Err(AppError::Unavailable(m)) => {
                    assert!(
                        m.contains("fonts-wqy-microhei")
                            && m.contains("LANTIAN_PDF_FONT")
                            && m.contains(named),
                        "{m}"
                    )
                }
                Err(e) => panic!("expected Unavailable, got {e}"),
                Ok(_) => panic!("a font was loaded from {named:?}"),
            }
        }
    }
}
