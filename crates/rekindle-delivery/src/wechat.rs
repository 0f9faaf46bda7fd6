//! What WeCom and the mini-program API share: an access token fetched with the app secret, sent
//! as `?access_token=`, and JSON answers carrying `errcode` / `errmsg`.

use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, RequestBuilder, Url};
use serde::{Deserialize, Serialize};

use crate::error::Class;
use crate::http::{self, Answer};
use crate::token::TokenCache;
use crate::{FailureKind, Secret, SendError};

/// Access token invalid (40014), expired (42001), or, on WeChat's APIs, "invalid credential"
/// (40001): the call was refused, so fetching a new token and calling again is safe.
const TOKEN_REFUSED: [i64; 3] = [40001, 40014, 42001];

/// How an `errcode` is to be taken, per API family.
pub(crate) type Classify = fn(i64) -> (Class, FailureKind);

/// Where a token comes from.
#[derive(Debug)]
pub(crate) enum TokenSource {
    /// `GET cgi-bin/gettoken?corpid=…&corpsecret=…`
    Wecom { corp_id: String, secret: Secret },
    /// `GET cgi-bin/token?grant_type=client_credential&appid=…&secret=…`
    MiniProgram { app_id: String, secret: Secret },
}

impl TokenSource {
    fn url(&self, base: &Url) -> Url {
        match self {
            Self::Wecom { corp_id, secret } => {
                let mut url = http::join(base, "cgi-bin/gettoken");
                url.query_pairs_mut().append_pair("corpid", corp_id).append_pair("corpsecret", secret.expose());
                url
            }
            Self::MiniProgram { app_id, secret } => {
                let mut url = http::join(base, "cgi-bin/token");
                url.query_pairs_mut()
                    .append_pair("grant_type", "client_credential")
                    .append_pair("appid", app_id)
                    .append_pair("secret", secret.expose());
                url
            }
        }
    }
}

#[derive(Debug)]
pub(crate) struct WechatApi {
    http: reqwest::Client,
    base: Url,
    source: TokenSource,
    tokens: TokenCache,
    classify: Classify,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

impl WechatApi {
    pub(crate) fn new(http: reqwest::Client, base: Url, source: TokenSource, classify: Classify) -> Self {
        Self { http, base, source, tokens: TokenCache::default(), classify }
    }

    /// The HTTP client, for fetching what a call needs (an asset behind a URL).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// POST `body` to `path`; the answer's JSON when `errcode` is 0. A refused token is replaced
    /// and the call made once more.
    pub(crate) async fn post<B: Serialize + Sync + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<serde_json::Value, SendError> {
        self.call(Method::POST, path, &[], |request| request.json(body)).await
    }

    /// GET `path` with the `query` parameters; otherwise as [`WechatApi::post`].
    pub(crate) async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<serde_json::Value, SendError> {
        self.call(Method::GET, path, query, |request| request).await
    }

    /// POST a ready-made body (a multipart form, say) of `content_type` to `path` with the extra
    /// `query` parameters; otherwise as [`WechatApi::post`].
    pub(crate) async fn post_raw(
        &self,
        path: &str,
        query: &[(&str, &str)],
        content_type: &str,
        body: &[u8],
    ) -> Result<serde_json::Value, SendError> {
        self.call(Method::POST, path, query, |request| request.header(CONTENT_TYPE, content_type).body(body.to_vec()))
            .await
    }

    async fn call<F>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        build: F,
    ) -> Result<serde_json::Value, SendError>
    where
        F: Fn(RequestBuilder) -> RequestBuilder,
    {
        let token = self.token().await?;
        match self.call_once(&method, path, query, &build, &token).await? {
            Ok(reply) => Ok(reply),
            Err((errcode, _)) if TOKEN_REFUSED.contains(&errcode) => {
                tracing::debug!(message = "access token refused; fetching a new one", errcode);
                self.tokens.invalidate(&token).await;
                let token = self.token().await?;
                self.call_once(&method, path, query, &build, &token).await?.map_err(|(code, msg)| self.error(code, msg))
            }
            Err((errcode, errmsg)) => Err(self.error(errcode, errmsg)),
        }
    }

    /// One call: Ok(Ok(json)) when accepted, Ok(Err(errcode, errmsg)) when the API said no.
    async fn call_once<F>(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        build: &F,
        token: &Secret,
    ) -> Result<Result<serde_json::Value, (i64, String)>, SendError>
    where
        F: Fn(RequestBuilder) -> RequestBuilder,
    {
        let mut url = http::join(&self.base, path);
        url.query_pairs_mut().append_pair("access_token", token.expose()).extend_pairs(query);
        let answer = http::fetch(build(self.http.request(method.clone(), url))).await?;
        let json = parse(&answer)?;
        let status: Status = serde_json::from_value(json.clone()).map_err(|_| http::unreadable(&answer))?;
        if status.errcode == 0 { Ok(Ok(json)) } else { Ok(Err((status.errcode, status.errmsg))) }
    }

    async fn token(&self) -> Result<Secret, SendError> {
        self.tokens.get(|| self.fetch_token()).await
    }

    /// Nothing was sent yet when a token cannot be had, so no failure here is uncertain.
    async fn fetch_token(&self) -> Result<(Secret, Duration), SendError> {
        let answer = http::fetch(self.http.get(self.source.url(&self.base))).await.map_err(nothing_sent)?;
        let json = parse(&answer).map_err(nothing_sent)?;
        let reply: TokenReply = serde_json::from_value(json).map_err(|_| nothing_sent(http::unreadable(&answer)))?;
        match reply.access_token {
            Some(token) if reply.errcode == 0 => {
                Ok((Secret::new(token), Duration::from_secs(reply.expires_in.unwrap_or(7200))))
            }
            _ => Err(nothing_sent(self.error(reply.errcode, reply.errmsg))),
        }
    }

    fn error(&self, errcode: i64, errmsg: String) -> SendError {
        let (class, kind) = (self.classify)(errcode);
        class.error(kind, errcode.to_string(), errmsg)
    }
}

/// The answer as JSON, or the error an unreadable answer stands for.
fn parse(answer: &Answer) -> Result<serde_json::Value, SendError> {
    if !answer.status.is_success() {
        return Err(http::unreadable(answer));
    }
    serde_json::from_slice(&answer.body).map_err(|_| http::unreadable(answer))
}

/// A failure before anything reached a person is retryable, whatever the transport said.
pub(crate) fn nothing_sent(e: SendError) -> SendError {
    match e {
        SendError::Uncertain { kind, code, message } => SendError::retryable(kind, code, message),
        other => other,
    }
}
