//! WeCom `errcode`s, by what they mean for a send. The global list is at
//! developer.work.weixin.qq.com/document/path/90313.

use crate::FailureKind::{self, *};
use crate::error::Class::{self, *};

pub(crate) fn classify(errcode: i64) -> (Class, FailureKind) {
    match errcode {
        // System busy: refused before anything happened.
        -1 => (Retryable, ProviderError),
        // API call frequency and concurrency limits.
        45009 | 45033 => (Retryable, Throttled),
        // Secret, corpid, token, permission, trusted IP.
        40001 | 40013 | 40014 | 41001 | 42001 | 48002 | 60020 | 301002 => (Rejected, Unauthorized),
        // Not a valid external_userid.
        40096 => (Rejected, InvalidRecipient),
        // No customer relationship (any more) between the staff member and the customer.
        84061 => (Rejected, UserRefused),
        // Empty or over-long text.
        44004 | 45002 => (Rejected, ContentRejected),
        // Media: a file WeCom does not take (format, size, image or video size), or a media id
        // it does not know (expired, or never uploaded).
        40004 | 40006 | 40007 | 40009 | 40011 => (Rejected, ContentRejected),
        // Media: an upload `type` WeCom does not have.
        40005 => (Rejected, Misconfigured),
        // Invalid sender userid, invalid parameter (an expired welcome_code, say), an open_kfid
        // that is not one of the corp's 微信客服 accounts.
        40003 | 40058 | 95000 => (Rejected, Misconfigured),
        _ => (Rejected, ProviderError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_limits_are_retryable_the_rest_final() {
        assert_eq!(classify(-1).0, Retryable);
        assert_eq!(classify(45033), (Retryable, Throttled));
        assert_eq!(classify(40096), (Rejected, InvalidRecipient));
        assert_eq!(classify(40014), (Rejected, Unauthorized));
        assert_eq!(classify(40007), (Rejected, ContentRejected));
        assert_eq!(classify(40005), (Rejected, Misconfigured));
        assert_eq!(classify(99999), (Rejected, ProviderError));
    }
}
