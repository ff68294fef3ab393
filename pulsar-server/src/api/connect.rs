//! A small Connect protocol layer (unary calls only): request decoding and response encoding
//! in JSON (proto3 JSON, pbjson) or binary protobuf, chosen by the request's content type,
//! and Connect errors with their codes, HTTP statuses and `BadRequest` details.
//!
//! Why our own and not a library: connectrpc-axum (the one candidate for axum 0.8 and prost
//! 0.14) generates its handlers from its own build step and calls itself not ready for
//! production; the protocol's unary subset is this one file.

use std::future::Future;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use bytes::Bytes;
use prost::Message;
use pulsar_core::proto::v1;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How a call's messages are encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Json,
    Proto,
}

impl Codec {
    /// The codec a request asks for; `None` for a content type Connect does not define here.
    pub(crate) fn of(headers: &HeaderMap) -> Option<Self> {
        let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        let essence = content_type.split(';').next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Self::Json),
            "application/proto" => Some(Self::Proto),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Proto => "application/proto",
        }
    }
}

/// Connect error codes: what went wrong, sorted by what the caller can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidArgument,
    Unauthenticated,
    DeadlineExceeded,
    NotFound,
    AlreadyExists,
    Aborted,
    ResourceExhausted,
    Unimplemented,
    Unavailable,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "invalid_argument",
            Self::Unauthenticated => "unauthenticated",
            Self::DeadlineExceeded => "deadline_exceeded",
            Self::NotFound => "not_found",
            Self::AlreadyExists => "already_exists",
            Self::Aborted => "aborted",
            Self::ResourceExhausted => "resource_exhausted",
            Self::Unimplemented => "unimplemented",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status the Connect protocol gives the code.
    fn status(self) -> StatusCode {
        match self {
            Self::InvalidArgument => StatusCode::BAD_REQUEST,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
            Self::NotFound | Self::Unimplemented => StatusCode::NOT_FOUND,
            Self::AlreadyExists | Self::Aborted => StatusCode::CONFLICT,
            Self::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A failed call: its code, a message for a person, and, for invalid input, every field
/// that is wrong (sent as a `pulsar.v1.BadRequest` detail).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    pub code: Code,
    pub message: String,
    pub bad_request: Option<v1::BadRequest>,
}

impl ConnectError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            bad_request: None,
        }
    }

    /// An invalid request, with the fields that are wrong.
    pub fn invalid(message: impl Into<String>, bad_request: v1::BadRequest) -> Self {
        Self {
            bad_request: Some(bad_request),
            ..Self::new(Code::InvalidArgument, message)
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<ErrorDetail>,
}

/// A Connect error detail: the message's full name and its binary encoding in base64.
#[derive(Serialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    type_name: &'static str,
    value: String,
}

impl IntoResponse for ConnectError {
    /// Connect errors are JSON whatever the call's codec.
    fn into_response(self) -> Response {
        let details = self
            .bad_request
            .iter()
            .map(|detail| ErrorDetail {
                type_name: "pulsar.v1.BadRequest",
                value: STANDARD_NO_PAD.encode(detail.encode_to_vec()),
            })
            .collect();
        let body = ErrorBody {
            code: self.code.as_str(),
            message: &self.message,
            details,
        };
        let json =
            serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"code\":\"internal\"}".to_vec());
        let mut response = (self.code.status(), json).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// Runs one unary call: decodes the request in `codec`, calls `handler`, and encodes its
/// answer the same way (or its error as a Connect error).
pub(crate) async fn unary<Req, Resp, F, Fut>(codec: Codec, body: Bytes, handler: F) -> Response
where
    Req: Message + Default + DeserializeOwned,
    Resp: Message + Serialize,
    F: FnOnce(Req) -> Fut,
    Fut: Future<Output = Result<Resp, ConnectError>>,
{
    let request = match decode::<Req>(codec, &body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    match handler(request).await {
        Ok(response) => encode(codec, &response),
        Err(error) => error.into_response(),
    }
}

fn decode<Req: Message + Default + DeserializeOwned>(
    codec: Codec,
    body: &[u8],
) -> Result<Req, ConnectError> {
    match codec {
        // An empty JSON body is the empty message, as an empty binary one is.
        Codec::Json if body.iter().all(u8::is_ascii_whitespace) => Ok(Req::default()),
        Codec::Json => serde_json::from_slice(body).map_err(|e| {
            ConnectError::new(
                Code::InvalidArgument,
                format!("malformed JSON request: {e}"),
            )
        }),
        Codec::Proto => Req::decode(body).map_err(|e| {
            ConnectError::new(
                Code::InvalidArgument,
                format!("malformed protobuf request: {e}"),
            )
        }),
    }
}

fn encode<Resp: Message + Serialize>(codec: Codec, response: &Resp) -> Response {
    let body = match codec {
        Codec::Json => match serde_json::to_vec(response) {
            Ok(json) => json,
            Err(e) => {
                return ConnectError::new(Code::Internal, format!("encoding the answer: {e}"))
                    .into_response();
            }
        },
        Codec::Proto => response.encode_to_vec(),
    };
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(codec.content_type()),
    );
    response
}

/// The answer to a call whose content type is not a Connect codec: 415, naming the two.
pub(crate) fn unsupported_media_type() -> Response {
    let mut response = (
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type must be application/json or application/proto\n",
    )
        .into_response();
    response.headers_mut().insert(
        header::HeaderName::from_static("accept-post"),
        HeaderValue::from_static("application/json, application/proto"),
    );
    response
}

/// The answer to a call of a method (or service) this server does not have: 404.
pub(crate) fn no_such_method() -> Response {
    (StatusCode::NOT_FOUND, "no such method\n").into_response()
}
