//! Validation errors that name the field and say what is wrong in words a person understands,
//! in Vietnamese (the interface language) and English.

use serde::Serialize;

/// One thing wrong with an input, tied to the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's path in the request, e.g. `quantity` or `events[2].occurred_at`.
    pub field: String,
    /// A stable machine-readable code, e.g. `harvest_before_seeding`.
    pub code: &'static str,
    /// The explanation in Vietnamese.
    pub message_vi: String,
    /// The explanation in English.
    pub message_en: String,
}

impl FieldError {
    /// Builds an error for `field` with a code and both translations of its message.
    pub fn new(
        field: impl Into<String>,
        code: &'static str,
        message_vi: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code,
            message_vi: message_vi.into(),
            message_en: message_en.into(),
        }
    }

    /// The same error reported under a parent path, e.g. `quantity` → `events[2].quantity`.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message_en)
    }
}

impl std::error::Error for FieldError {}

/// Every problem found with one input; never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// Adds one error.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// `Ok(())` when nothing was found, the collected errors otherwise.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The first error, which the API reports as the main one.
    pub fn first(&self) -> Option<&FieldError> {
        self.0.first()
    }

    /// Prefixes every field path, for errors inside a batch.
    pub fn within(self, prefix: &str) -> Self {
        Self(self.0.into_iter().map(|e| e.within(prefix)).collect())
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}
