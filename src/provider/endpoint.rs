//! Which endpoint of a provider an operation asks for, whether it is
//! configured or discovered.

/// The endpoints an operation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Authorization,
    Token,
    Userinfo,
    Revocation,
    DeviceAuthorization,
    EndSession,
}

impl Endpoint {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Endpoint::Authorization => "authorization",
            Endpoint::Token => "token",
            Endpoint::Userinfo => "userinfo",
            Endpoint::Revocation => "revocation",
            Endpoint::DeviceAuthorization => "device_authorization",
            Endpoint::EndSession => "end_session",
        }
    }
}
