//! Responsibility strings (责任单位) → lead units (牵头) and supporting units (配合 / 共同参与).
//!
//! Forms in the list: `A牵头,B、C配合`; `A牵头,B、C` (no 配合); `A、B` (joint leads); `A`
//! alone; a unit written twice by mistake (`市生态环境局市生态环境局牵头`); `各乡镇、经济开发区`
//! (all administrative units); `各相关责任单位`; `…等共同参与`.

/// All towns, townships and the development zone (各乡镇、经济开发区).
pub const ALL_TOWNSHIPS: &str = "各乡镇";
pub const DEVELOPMENT_ZONE: &str = "经济开发区";
/// Every unit responsible for the work (各相关责任单位).
pub const ALL_RESPONSIBLE: &str = "各相关责任单位";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Responsibility {
    pub leads: Vec<String>,
    pub supporting: Vec<String>,
    /// Names neither among the known units nor a group: reported, and kept in the lists too.
    pub unknown: Vec<String>,
}

fn split_units(part: &str) -> Vec<String> {
    part.split(['、', ',', '，'])
        .map(|s| {
            s.trim()
                .trim_end_matches("等共同参与")
                .trim_end_matches("共同参与")
                .trim_end_matches('等')
                .trim()
        })
        .filter(|s| !s.is_empty())
        .map(undouble)
        .collect()
}

/// `市生态环境局市生态环境局` → `市生态环境局`.
fn undouble(s: &str) -> String {
    let n = s.chars().count();
    if n.is_multiple_of(2) {
        let half: String = s.chars().take(n / 2).collect();
        if s == format!("{half}{half}") {
            return half;
        }
    }
    s.to_owned()
}

fn push_unique(list: &mut Vec<String>, items: Vec<String>) {
    for i in items {
        if !list.contains(&i) {
            list.push(i);
        }
    }
}

/// Parses a responsibility string; names not in `known_units` (the county's departments and
/// bodies) nor a group are reported as unknown.
pub fn parse_responsibility(text: &str, known_units: &[String]) -> Responsibility {
    let t = text.trim();
    let mut r = Responsibility::default();
    match t.split_once("牵头") {
        Some((lead, rest)) => {
            push_unique(&mut r.leads, split_units(lead));
            let rest = rest
                .trim_start_matches([',', '，', '、'])
                .trim_end_matches("配合");
            push_unique(&mut r.supporting, split_units(rest));
        }
        None => push_unique(&mut r.leads, split_units(t.trim_end_matches("配合"))),
    }
    r.supporting.retain(|s| !r.leads.contains(s));
    for u in r.leads.iter().chain(&r.supporting) {
        let known = known_units.contains(u)
            || [ALL_TOWNSHIPS, DEVELOPMENT_ZONE, ALL_RESPONSIBLE].contains(&u.as_str());
        if !known && !r.unknown.contains(u) {
            r.unknown.push(u.clone());
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Some of Xinji's departments (the county profile holds the whole list).
    fn known() -> Vec<String> {
        [
            "市发展改革局",
            "市科学技术和工业信息化局",
            "市数据和政务服务局",
            "市交通运输局",
            "市城市管理综合行政执法局",
            "市水务局",
            "市生态环境局",
            "市气象局",
            "市市场监督管理局",
            "市住房城乡建设局",
            "市公安局",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn check(text: &str, leads: &[&str], supporting: &[&str]) {
        let r = parse_responsibility(text, &known());
        assert_eq!(r.leads, leads, "leads of {text}");
        assert_eq!(r.supporting, supporting, "supporting of {text}");
        assert!(r.unknown.is_empty(), "unknown in {text}: {:?}", r.unknown);
    }

    #[test]
    fn every_form_of_the_list() {
        check(
            "市发展改革局牵头,市科学技术和工业信息化局、市数据和政务服务局配合",
            &["市发展改革局"],
            &["市科学技术和工业信息化局", "市数据和政务服务局"],
        );
        check(
            "市科学技术和工业信息化局牵头,市交通运输局、市城市管理综合行政执法局",
            &["市科学技术和工业信息化局"],
            &["市交通运输局", "市城市管理综合行政执法局"],
        );
        check("市交通运输局、市水务局", &["市交通运输局", "市水务局"], &[]);
        check("市生态环境局、市气象局", &["市生态环境局", "市气象局"], &[]);
        check("市发展改革局", &["市发展改革局"], &[]);
        check(
            "市生态环境局牵头,市市场监督管理局",
            &["市生态环境局"],
            &["市市场监督管理局"],
        );
        check(
            "各乡镇、经济开发区",
            &[ALL_TOWNSHIPS, DEVELOPMENT_ZONE],
            &[],
        );
        check("各相关责任单位", &[ALL_RESPONSIBLE], &[]);
        check(
            "市生态环境局市生态环境局牵头,市住房城乡建设局、市气象局等共同参与",
            &["市生态环境局"],
            &["市住房城乡建设局", "市气象局"],
        );
    }

    #[test]
    fn unknown_units_are_reported_and_kept() {
        let r = parse_responsibility("市文化广电旅游局牵头,市公安局配合", &known());
        assert_eq!(r.leads, ["市文化广电旅游局"]);
        assert_eq!(r.unknown, ["市文化广电旅游局"]);
    }
}
