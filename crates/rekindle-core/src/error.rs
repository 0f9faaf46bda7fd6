use std::fmt;

/// A caller's mistake in one field of the input: the path of the field and why it was refused.
///
/// `field` is a JSON-pointer-like path (`batch[3].traits.phone`) so an integrator can find it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
    /// What kind of mistake, for callers that answer differently (the HTTP error code).
    #[serde(skip)]
    pub kind: FieldErrorKind,
}

/// A field that is wrong, or input that is not JSON at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FieldErrorKind {
    #[default]
    Invalid,
    MalformedJson,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into(), kind: FieldErrorKind::Invalid }
    }

    /// Input that does not parse as JSON.
    pub fn malformed_json(error: impl fmt::Display) -> Self {
        Self { field: String::new(), reason: format!("malformed JSON: {error}"), kind: FieldErrorKind::MalformedJson }
    }

    /// Prefix the field path, e.g. with the position of a message inside a batch.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_string()
        } else if self.field.starts_with('[') {
            format!("{prefix}{}", self.field)
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for FieldError {}
