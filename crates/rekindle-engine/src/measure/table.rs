//! A report as rows and named columns: what CSV files and the command line print.

use rekindle_rules::Lang;

/// A column: its key (English, for code and JSON) and its header in each language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// Its cells may be report words ([`WORDS`]): shown in the reader's language.
    pub words: bool,
}

impl Column {
    pub const fn new(key: &'static str, zh: &'static str, en: &'static str) -> Self {
        Self { key, zh, en, words: false }
    }

    /// A column of names a report writes (groups, arms, stages, metrics, calls).
    pub const fn words(key: &'static str, zh: &'static str, en: &'static str) -> Self {
        Self { key, zh, en, words: true }
    }

    pub fn header(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::ZhCn => self.zh,
            Lang::En => self.en,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// Cells as text: numbers written plainly, rates to four places, blank for none.
    pub rows: Vec<Vec<String>>,
}

/// The words reports write in cells, in Chinese; in English a cell keeps its key, so English
/// CSV stays what scripts parse. Text from events (a cohort's source, a journey's name) that is
/// not one of these passes through.
const WORDS: &[(&str, &str)] = &[
    ("all", "全部"),
    ("total", "合计"),
    ("touched", "触达组"),
    ("untouched", "未触达组"),
    ("holdout", "留出组"),
    ("unknown", "未知"),
    ("none", "无"),
    ("live", "直播"),
    ("referral", "老带新"),
    ("offline", "线下"),
    ("ads", "广告"),
    ("order_rate", "下单率"),
    ("revenue_per_person", "人均销售额(元)"),
    ("opt_out_rate", "退订率"),
    ("removed_rate", "删好友率"),
    ("better", "显著更好"),
    ("worse", "显著更差"),
    ("inconclusive", "无显著差异"),
    ("too_small", "样本太少"),
    ("not_computable", "无法计算"),
    ("weekday", "星期"),
    ("slot", "星期-时段"),
    ("hour", "开播时间"),
    ("topic", "主题"),
    ("true", "是"),
    ("false", "否"),
];

fn word(cell: &str, lang: Lang) -> &str {
    match lang {
        Lang::En => cell,
        Lang::ZhCn => WORDS.iter().find(|(k, _)| *k == cell).map_or(cell, |(_, zh)| zh),
    }
}

impl Table {
    pub fn headers(&self, lang: Lang) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.header(lang)).collect()
    }

    /// The rows as a reader of `lang` sees them: report words in their language.
    pub fn rows_in(&self, lang: Lang) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&self.columns)
                    .map(|(cell, c)| if c.words { word(cell, lang).to_owned() } else { cell.clone() })
                    .collect()
            })
            .collect()
    }

    /// The table as CSV, headers in `lang`; text a spreadsheet would run as a formula (a
    /// cohort keyed by a `source` someone sent) is neutralised.
    pub fn write_csv(&self, to: impl std::io::Write, lang: Lang) -> csv::Result<()> {
        let mut out = csv::Writer::from_writer(to);
        out.write_record(self.headers(lang))?;
        for row in &self.rows_in(lang) {
            out.write_record(row.iter().map(|c| rekindle_core::csv_cell::text(c).into_owned()))?;
        }
        out.flush()?;
        Ok(())
    }
}

/// A rate cell: four places, blank when there is none.
pub fn rate_cell(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.4}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_words_are_shown_in_the_readers_language_and_event_text_is_not() {
        let table = Table {
            columns: vec![Column::words("group", "分组", "group"), Column::new("n", "人数", "n")],
            rows: vec![vec!["touched".into(), "all".into()], vec!["live-7".into(), "3".into()]],
        };
        assert_eq!(table.rows_in(Lang::ZhCn), [["触达组", "all"], ["live-7", "3"]], "only word columns");
        assert_eq!(table.rows_in(Lang::En), table.rows);
    }
}
