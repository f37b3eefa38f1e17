//! The ledger (台账) as an Excel workbook, in the layout of the plan's attachment.

/// One row of the ledger workbook.
#[derive(Clone, Debug, Default)]
pub struct Line {
    /// 编号, as the web UI shows it.
    pub id: String,
    pub category: String,
    pub task: String,
    pub measure: String,
    pub responsibility: String,
    pub lead_units: String,
    pub supporting_units: String,
    pub deadlines: String,
    pub status: String,
    pub latest_progress: String,
    /// When the latest progress was recorded, Beijing time.
    pub latest_at: String,
}

/// The ledger (台账) in the layout of the plan's attachment (类别, 重点工作, 工作措施, 责任单位,
/// with category and key-task cells merged as in the original), plus status columns.
pub fn write(title: &str, lines: &[Line]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let e = |x: rust_xlsxwriter::XlsxError| x.to_string();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("台账").map_err(e)?;
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let titlef = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let columns = [
        "类别",
        "重点工作",
        "工作措施",
        "责任单位",
        "牵头单位",
        "配合单位",
        "完成时限",
        "状态",
        "最近进展",
        "进展时间（北京时间）",
        // Last, so that the first four columns stay the plan's layout (and import back).
        "编号",
    ];
    let widths = [
        18.0, 22.0, 60.0, 30.0, 20.0, 28.0, 14.0, 10.0, 30.0, 18.0, 8.0,
    ];
    sheet
        .merge_range(0, 0, 0, columns.len() as u16 - 1, title, &titlef)
        .map_err(e)?;
    for (c, (name, w)) in columns.iter().zip(widths).enumerate() {
        sheet
            .write_string_with_format(1, c as u16, *name, &head)
            .map_err(e)?;
        sheet.set_column_width(c as u16, w).map_err(e)?;
    }
    let first = 2u32;
    for (i, l) in lines.iter().enumerate() {
        let r = first + i as u32;
        let values = [
            &l.category,
            &l.task,
            &l.measure,
            &l.responsibility,
            &l.lead_units,
            &l.supporting_units,
            &l.deadlines,
            &l.status,
            &l.latest_progress,
            &l.latest_at,
            &l.id,
        ];
        for (c, v) in values.iter().enumerate() {
            sheet
                .write_string_with_format(r, c as u16, v.as_str(), &cell)
                .map_err(e)?;
        }
    }
    // Merge runs of equal category (column 0) and key task (column 1), as the original does.
    for col in [0u16, 1u16] {
        let mut start = 0usize;
        for i in 1..=lines.len() {
            let key = |k: usize| {
                (
                    lines[k].category.as_str(),
                    if col == 1 { lines[k].task.as_str() } else { "" },
                )
            };
            if i == lines.len() || key(i) != key(start) {
                if i - start > 1 {
                    let v = if col == 0 {
                        &lines[start].category
                    } else {
                        &lines[start].task
                    };
                    sheet
                        .merge_range(
                            first + start as u32,
                            col,
                            first + i as u32 - 1,
                            col,
                            v,
                            &cell,
                        )
                        .map_err(e)?;
                }
                start = i;
            }
        }
    }
    book.save_to_buffer().map_err(e)
}
