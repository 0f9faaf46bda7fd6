//! CSV cells made safe to open in a spreadsheet. A text cell that starts with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is read by Excel, WPS and LibreOffice as a formula
//! (`=HYPERLINK(...)`, `=cmd|...`); OWASP's advice is to prefix such a cell with `'`, which
//! spreadsheets show as text. Numbers the exporter writes itself (a negative amount) are not
//! text cells and are written as they are: pass them through [`number`].

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell, prefixed with `'` when a spreadsheet would read it as a formula.
pub fn text(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_START) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// A numeric cell, written as the number it is (`-120` stays a number).
pub fn number(n: impl std::fmt::Display) -> String {
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_kept() {
        assert_eq!(text("=HYPERLINK(\"http://x\",\"y\")"), "'=HYPERLINK(\"http://x\",\"y\")");
        for start in ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(text(start), format!("'{start}"));
        }
        assert_eq!(text("小李"), "小李");
        assert_eq!(text(""), "");
        assert_eq!(number(-120), "-120");
    }

    proptest! {
        #[test]
        fn no_cell_starts_a_formula(cell in "\\PC{0,12}|[=+@\\t\\r-]\\PC{0,8}") {
            let safe = text(&cell);
            prop_assert!(!safe.starts_with(FORMULA_START));
            prop_assert!(safe.ends_with(cell.as_str()));
        }
    }
}
