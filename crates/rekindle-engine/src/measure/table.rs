//! A report as rows and named columns: what CSV files and the command line print.

use rekindle_rules::Lang;

/// A column: its key (English, for code and JSON) and its header in each language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

impl Column {
    pub const fn new(key: &'static str, zh: &'static str, en: &'static str) -> Self {
        Self { key, zh, en }
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

impl Table {
    pub fn headers(&self, lang: Lang) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.header(lang)).collect()
    }

    /// The table as CSV, headers in `lang`; text a spreadsheet would run as a formula (a
    /// cohort keyed by a `source` someone sent) is neutralised.
    pub fn write_csv(&self, to: impl std::io::Write, lang: Lang) -> csv::Result<()> {
        let mut out = csv::Writer::from_writer(to);
        out.write_record(self.headers(lang))?;
        for row in &self.rows {
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
