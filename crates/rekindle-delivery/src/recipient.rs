//! Phone numbers as the SMS providers want them.

use rekindle_core::phone;

use crate::{FailureKind, SendError};

/// `to` as E.164, if it can receive SMS: any written form of a mainland mobile, or an
/// international number. A mainland landline cannot.
pub(crate) fn sms_number(to: &str) -> Result<String, SendError> {
    let invalid = |why: &str| SendError::rejected(FailureKind::InvalidRecipient, "invalid_phone", why.to_string());
    let e164 = phone::normalize(to).map_err(|e| invalid(&e))?;
    match e164.strip_prefix("+86") {
        Some(national) if !(national.len() == 11 && national.starts_with('1')) => {
            Err(invalid("a mainland landline cannot receive SMS"))
        }
        _ => Ok(e164),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_pass_landlines_do_not() {
        assert_eq!(sms_number("138 1234 5678").unwrap(), "+8613812345678");
        assert_eq!(sms_number("+85291234567").unwrap(), "+85291234567");
        assert_eq!(sms_number("010 6552 9988").unwrap_err().kind(), FailureKind::InvalidRecipient);
        assert_eq!(sms_number("oAbc").unwrap_err().code(), "invalid_phone");
    }
}
