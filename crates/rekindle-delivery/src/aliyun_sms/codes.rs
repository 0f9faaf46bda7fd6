//! Aliyun SMS answer codes, by what they mean for a send (help.aliyun.com, "API错误码").

use crate::FailureKind::{self, *};
use crate::error::Class::{self, *};

pub(crate) fn classify(code: &str) -> (Class, FailureKind) {
    match code {
        // Per-number frequency control (1 a minute, 5 an hour … per signature) and API throttling.
        "isv.BUSINESS_LIMIT_CONTROL" | "Throttling" | "Throttling.User" | "Throttling.Api" => (Retryable, Throttled),
        // A nonce can be used once; the next attempt signs with a new one.
        "SignatureNonceUsed" => (Retryable, ProviderError),
        // Limits the account set itself, or money.
        "isv.DAY_LIMIT_CONTROL" | "isv.MONTH_LIMIT_CONTROL" | "isv.AMOUNT_NOT_ENOUGH" | "isv.OUT_OF_SERVICE" => {
            (Rejected, QuotaExhausted)
        }
        "isv.MOBILE_NUMBER_ILLEGAL" | "isv.MOBILE_COUNT_OVER_LIMIT" | "isv.DOMESTIC_NUMBER_NOT_SUPPORTED" => {
            (Rejected, InvalidRecipient)
        }
        // The number's owner unsubscribed from marketing SMS.
        "isv.CUSTOMER_REFUSED" => (Rejected, UserRefused),
        "isv.BLACK_KEY_CONTROL_LIMIT"
        | "isv.TEMPLATE_PARAMS_ILLEGAL"
        | "isv.TEMPLATE_MISSING_PARAMETERS"
        | "isv.INVALID_JSON_PARAM"
        | "isv.PARAM_LENGTH_LIMIT"
        | "isv.PARAM_NOT_SUPPORT_URL"
        | "isv.SMS_TEMPLATE_ILLEGAL"
        | "isv.SMS_SIGNATURE_ILLEGAL"
        | "isv.SMS_SIGNATURE_SCENE_ILLEGAL"
        | "isv.SMS_CONTENT_ILLEGAL"
        | "isv.SMS_SIGN_ILLEGAL"
        | "isv.SIGN_STATE_ILLEGAL" => (Rejected, ContentRejected),
        "isv.DENY_IP_RANGE"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "InvalidAccessKeyId.NotFound"
        | "InvalidAccessKeyId.Inactive"
        | "Forbidden.RAM"
        | "isp.RAM_PERMISSION_DENY"
        | "isv.ACCOUNT_NOT_EXISTS"
        | "isv.ACCOUNT_ABNORMAL"
        | "isv.PRODUCT_UN_SUBSCRIPT"
        | "isv.PRODUCT_UNSUBSCRIBE" => (Rejected, Unauthorized),
        // The platform failed while handling the request: it may have gone out.
        "isp.SYSTEM_ERROR" | "InternalError" | "ServiceUnavailable" => (Uncertain, ProviderError),
        "isv.INVALID_PARAMETERS" | "InvalidTimeStamp.Expired" | "InvalidVersion" | "InvalidAction.NotFound" => {
            (Rejected, Misconfigured)
        }
        code if code.starts_with("Missing") || code.starts_with("InvalidParameter") => (Rejected, Misconfigured),
        _ => (Rejected, ProviderError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_codes_map_as_intended() {
        assert_eq!(classify("isv.BUSINESS_LIMIT_CONTROL"), (Retryable, Throttled));
        assert_eq!(classify("isv.DAY_LIMIT_CONTROL"), (Rejected, QuotaExhausted));
        assert_eq!(classify("isv.AMOUNT_NOT_ENOUGH"), (Rejected, QuotaExhausted));
        assert_eq!(classify("isv.MOBILE_NUMBER_ILLEGAL"), (Rejected, InvalidRecipient));
        assert_eq!(classify("isv.CUSTOMER_REFUSED"), (Rejected, UserRefused));
        assert_eq!(classify("isv.BLACK_KEY_CONTROL_LIMIT"), (Rejected, ContentRejected));
        assert_eq!(classify("SignatureDoesNotMatch"), (Rejected, Unauthorized));
        assert_eq!(classify("InvalidAccessKeyId.NotFound"), (Rejected, Unauthorized));
        assert_eq!(classify("isp.SYSTEM_ERROR"), (Uncertain, ProviderError));
        assert_eq!(classify("MissingPhoneNumbers"), (Rejected, Misconfigured));
        assert_eq!(classify("isv.SOMETHING_NEW"), (Rejected, ProviderError));
    }
}
