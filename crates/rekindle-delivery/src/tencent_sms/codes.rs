//! Tencent Cloud SMS error codes (SendSms, 2021-01-11), by what they mean for a send. They come
//! either as the request's `Error.Code` or per number in `SendStatusSet[].Code`.

use std::time::Duration;

use crate::FailureKind::{self, *};
use crate::error::Class::{self, *};

pub(crate) fn classify(code: &str) -> (Class, FailureKind) {
    match code {
        "LimitExceeded.PhoneNumberThirtySecondLimit"
        | "LimitExceeded.PhoneNumberOneHourLimit"
        | "LimitExceeded.DeliveryFrequencyLimit"
        | "RequestLimitExceeded" => (Retryable, Throttled),
        // Marketing SMS only go out 8:00–22:00; the same message may go later.
        "FailedOperation.MarketingSendTimeConstraint" => (Retryable, Throttled),
        // Nothing more to this number, or from this app, today; or no money.
        "LimitExceeded.PhoneNumberDailyLimit"
        | "LimitExceeded.PhoneNumberSameContentDailyLimit"
        | "LimitExceeded.AppDailyLimit"
        | "LimitExceeded.AppGlobalDailyLimit"
        | "LimitExceeded.AppMainlandChinaDailyLimit"
        | "FailedOperation.InsufficientBalanceInSmsPackage"
        | "UnauthorizedOperation.SerivceSuspendDueToArrears" => (Rejected, QuotaExhausted),
        "InvalidParameterValue.IncorrectPhoneNumber" | "FailedOperation.PhoneNumberParseFail" => {
            (Rejected, InvalidRecipient)
        }
        // Unsubscribed, or on a carrier's blacklist.
        "FailedOperation.PhoneNumberInBlacklist" => (Rejected, UserRefused),
        "FailedOperation.TemplateIncorrectOrUnapproved"
        | "FailedOperation.SignatureIncorrectOrUnapproved"
        | "FailedOperation.ContainSensitiveWord"
        | "InvalidParameterValue.ContentLengthLimit"
        | "InvalidParameterValue.TemplateParameterFormatError"
        | "InvalidParameterValue.TemplateParameterLengthLimit"
        | "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter" => (Rejected, ContentRejected),
        code if code.starts_with("AuthFailure") || code.starts_with("UnauthorizedOperation") => {
            (Rejected, Unauthorized)
        }
        // The service failed while handling the request: it may have gone out.
        code if code.starts_with("InternalError") => (Uncertain, ProviderError),
        code if code.starts_with("InvalidParameter") || code.starts_with("MissingParameter") => {
            (Rejected, Misconfigured)
        }
        _ => (Rejected, ProviderError),
    }
}

/// The wait a frequency limit implies.
pub(crate) fn retry_after(code: &str) -> Option<Duration> {
    match code {
        "LimitExceeded.PhoneNumberThirtySecondLimit" => Some(Duration::from_secs(30)),
        "LimitExceeded.PhoneNumberOneHourLimit" => Some(Duration::from_secs(3600)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_codes_map_as_intended() {
        assert_eq!(classify("LimitExceeded.PhoneNumberThirtySecondLimit"), (Retryable, Throttled));
        assert_eq!(retry_after("LimitExceeded.PhoneNumberThirtySecondLimit"), Some(Duration::from_secs(30)));
        assert_eq!(classify("LimitExceeded.PhoneNumberDailyLimit"), (Rejected, QuotaExhausted));
        assert_eq!(classify("FailedOperation.InsufficientBalanceInSmsPackage"), (Rejected, QuotaExhausted));
        assert_eq!(classify("InvalidParameterValue.IncorrectPhoneNumber"), (Rejected, InvalidRecipient));
        assert_eq!(classify("FailedOperation.PhoneNumberInBlacklist"), (Rejected, UserRefused));
        assert_eq!(classify("AuthFailure.SignatureFailure"), (Rejected, Unauthorized));
        assert_eq!(classify("FailedOperation.ContainSensitiveWord"), (Rejected, ContentRejected));
        assert_eq!(classify("InternalError.Timeout"), (Uncertain, ProviderError));
        assert_eq!(classify("Something.New"), (Rejected, ProviderError));
    }
}
