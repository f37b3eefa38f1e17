//! AQI levels, categories, colours and health advice (HJ 633-2012 Table 2 and Appendix A;
//! HJ 633-2026 Tables 1–2 and Appendix A).

use crate::pollutant::Pollutant;
use crate::rules::AqiEdition;
use serde::Serialize;

/// The six AQI levels, 一级 (优) to 六级 (严重污染).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Level {
    Excellent = 1,
    Good = 2,
    LightlyPolluted = 3,
    ModeratelyPolluted = 4,
    HeavilyPolluted = 5,
    SeverelyPolluted = 6,
}

/// Language of end-user text. Chinese is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Level {
    pub fn from_aqi(aqi: u16) -> Level {
        match aqi {
            0..=50 => Level::Excellent,
            51..=100 => Level::Good,
            101..=150 => Level::LightlyPolluted,
            151..=200 => Level::ModeratelyPolluted,
            201..=300 => Level::HeavilyPolluted,
            _ => Level::SeverelyPolluted,
        }
    }

    /// 1 to 6.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// `一级` … `六级` or `Level I` … `Level VI`.
    pub fn level_name(self, lang: Lang) -> &'static str {
        let i = self as usize - 1;
        match lang {
            Lang::Zh => ["一级", "二级", "三级", "四级", "五级", "六级"][i],
            Lang::En => [
                "Level I",
                "Level II",
                "Level III",
                "Level IV",
                "Level V",
                "Level VI",
            ][i],
        }
    }

    /// `优`, `良`, `轻度污染`, … or their English names.
    pub fn category(self, lang: Lang) -> &'static str {
        let i = self as usize - 1;
        match lang {
            Lang::Zh => ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"][i],
            Lang::En => [
                "Excellent",
                "Good",
                "Lightly polluted",
                "Moderately polluted",
                "Heavily polluted",
                "Severely polluted",
            ][i],
        }
    }

    pub fn colour(self, lang: Lang) -> &'static str {
        let i = self as usize - 1;
        match lang {
            Lang::Zh => ["绿色", "黄色", "橙色", "红色", "紫色", "褐红色"][i],
            Lang::En => ["green", "yellow", "orange", "red", "purple", "maroon"][i],
        }
    }

    /// Appendix A RGB values (identical in both editions).
    pub fn rgb(self) -> [u8; 3] {
        [
            [0, 228, 0],
            [255, 255, 0],
            [255, 126, 0],
            [255, 0, 0],
            [153, 0, 76],
            [126, 0, 35],
        ][self as usize - 1]
    }

    /// Appendix A CMYK values.
    pub fn cmyk(self) -> [u8; 4] {
        [
            [40, 0, 100, 0],
            [0, 0, 100, 0],
            [0, 52, 100, 0],
            [0, 100, 100, 0],
            [10, 100, 40, 30],
            [30, 100, 100, 30],
        ][self as usize - 1]
    }

    /// `#RRGGBB`.
    pub fn hex(self) -> String {
        let [r, g, b] = self.rgb();
        format!("#{r:02X}{g:02X}{b:02X}")
    }

    /// The health effects column of the standard's table.
    pub fn health_effects(self, lang: Lang) -> &'static str {
        let i = self as usize - 1;
        match lang {
            Lang::Zh => [
                "空气质量令人满意，基本无空气污染",
                "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
                "易感人群症状有轻度加剧，健康人群出现刺激症状",
                "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
                "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
                "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
            ][i],
            Lang::En => [
                "Air quality is satisfactory; there is essentially no air pollution.",
                "Air quality is acceptable; some pollutants may slightly affect a very small number of unusually sensitive people.",
                "Symptoms of sensitive people get slightly worse; healthy people show irritation.",
                "Symptoms of sensitive people worsen further; the heart and lungs of healthy people may be affected.",
                "Symptoms of heart and lung patients rise markedly and exercise tolerance falls; healthy people commonly have symptoms.",
                "Healthy people's exercise tolerance falls, with strong symptoms and early onset of some diseases.",
            ][i],
        }
    }

    /// The advice column; HJ 633-2026 writes 青少年儿童 for 儿童 and 心血管系统疾病 for 心脏病.
    pub fn advice(self, edition: AqiEdition, lang: Lang) -> String {
        let i = self as usize - 1;
        let text = match lang {
            Lang::Zh => [
                "各类人群可正常活动",
                "极少数异常敏感人群应减少户外活动",
                "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
                "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，一般人群适量减少户外运动",
                "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动",
                "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
            ][i],
            Lang::En => [
                "Everyone can be active outdoors as usual.",
                "A very small number of unusually sensitive people should reduce outdoor activity.",
                "Children, the elderly and people with heart or respiratory disease should cut long, intense outdoor exercise.",
                "Children, the elderly and people with heart or respiratory disease should avoid long, intense outdoor exercise; everyone else should reduce outdoor exercise moderately.",
                "Children, the elderly and people with heart or lung disease should stay indoors and stop outdoor exercise; everyone else should reduce outdoor exercise.",
                "Children, the elderly and the sick should stay indoors and avoid exertion; everyone else should avoid outdoor activity.",
            ][i],
        };
        match (edition, lang) {
            (AqiEdition::Hj633_2026, Lang::Zh) => text
                .replace("儿童", "青少年儿童")
                .replace("心脏病", "心血管系统疾病"),
            (AqiEdition::Hj633_2026, Lang::En) => text
                .replace("Children", "Children and teenagers")
                .replace("heart or", "cardiovascular or")
                .replace("heart or lung", "cardiovascular or lung"),
            _ => text.to_owned(),
        }
    }
}

/// HJ 633-2026 Table 2: the sensitive groups of a pollutant whose IAQI exceeds 100.
pub fn sensitive_groups(p: Pollutant, lang: Lang) -> &'static str {
    match (p, lang) {
        (Pollutant::So2, Lang::Zh) => "哮喘患者、青少年儿童、老年人",
        (Pollutant::No2, Lang::Zh) => "呼吸系统疾病（如哮喘）患者、青少年儿童、老年人",
        (Pollutant::Co, Lang::Zh) => "心血管系统疾病患者",
        (Pollutant::O3, Lang::Zh) => "呼吸系统疾病患者、青少年儿童、户外活动较多人群、老年人",
        (Pollutant::Pm10 | Pollutant::Pm25, Lang::Zh) => {
            "心血管或呼吸系统疾病患者、青少年儿童、户外活动较多人群、老年人"
        }
        (Pollutant::So2, Lang::En) => "asthma patients, children and teenagers, the elderly",
        (Pollutant::No2, Lang::En) => {
            "people with respiratory disease (e.g. asthma), children and teenagers, the elderly"
        }
        (Pollutant::Co, Lang::En) => "people with cardiovascular disease",
        (Pollutant::O3, Lang::En) => {
            "people with respiratory disease, children and teenagers, people often active outdoors, the elderly"
        }
        (Pollutant::Pm10 | Pollutant::Pm25, Lang::En) => {
            "people with cardiovascular or respiratory disease, children and teenagers, people often active outdoors, the elderly"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Conformance checklist §10 item 16.
    #[test]
    fn levels_map_to_category_and_colour() {
        let l = Level::from_aqi(101);
        assert_eq!(
            (l.level_name(Lang::Zh), l.category(Lang::Zh)),
            ("三级", "轻度污染")
        );
        assert_eq!((l.colour(Lang::Zh), l.rgb()), ("橙色", [255, 126, 0]));
        let l = Level::from_aqi(301);
        assert_eq!(
            (l.level_name(Lang::Zh), l.category(Lang::Zh)),
            ("六级", "严重污染")
        );
        assert_eq!(l.rgb(), [126, 0, 35]);
        let bounds = [
            (0, 1),
            (50, 1),
            (51, 2),
            (100, 2),
            (150, 3),
            (151, 4),
            (200, 4),
            (201, 5),
            (300, 5),
            (500, 6),
        ];
        for (aqi, n) in bounds {
            assert_eq!(Level::from_aqi(aqi).number(), n, "AQI {aqi}");
        }
    }

    #[test]
    fn the_2026_advice_names_teenagers_and_cardiovascular_disease() {
        let a = Level::LightlyPolluted.advice(AqiEdition::Hj633_2026, Lang::Zh);
        assert!(
            a.contains("青少年儿童") && a.contains("心血管系统疾病"),
            "{a}"
        );
        let a = Level::LightlyPolluted.advice(AqiEdition::Hj633_2012, Lang::Zh);
        assert!(!a.contains("青少年") && a.contains("心脏病"), "{a}");
    }
}
