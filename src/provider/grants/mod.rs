//! The grants beyond the authorization code: client credentials (RFC
//! 6749 §4.4), JWT bearer (RFC 7523), token exchange (RFC 8693), the
//! device grant (RFC 8628), pushed authorization requests (RFC 9126) and
//! RP-initiated logout (end session).

pub(crate) mod assertion;
pub mod client_credentials;
pub mod device;
pub mod end_session;
mod form_post;
pub mod jwt_bearer;
pub mod par;
pub(crate) mod params;
pub mod request;
pub mod token_exchange;
