//! The three store traits of an authorization server.

use crate::error::{Error, Result};

use super::{AccessToken, AuthorizationCode, Client};

/// Registered clients.
pub trait ClientStore: Send + Sync {
    /// Saves (inserts or replaces) a client.
    ///
    /// # Errors
    ///
    /// Implementations return [`Error::InvalidArgument`] for an unusable
    /// client id, [`Error::Storage`] or [`Error::Unavailable`] when the backend
    /// fails or cannot be reached.
    fn save_client(&self, client: &Client) -> Result<()>;

    /// The client with this id, or [`Error::NotFound`].
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no client has this id; [`Error::Corrupt`] when
    /// the stored record cannot be read (it is left as it is); backend failures
    /// as in [`save_client`](Self::save_client).
    fn fetch_by_client_id(&self, client_id: &str) -> Result<Client>;

    /// Deletes a client; whether it existed.
    ///
    /// # Errors
    ///
    /// Not existing is `Ok(false)`; backend failures as in
    /// [`save_client`](Self::save_client).
    fn delete_client(&self, client_id: &str) -> Result<bool>;
}

/// Authorization codes, each redeemable once.
pub trait AuthCodeStore: Send + Sync {
    /// Saves a code.
    ///
    /// # Errors
    ///
    /// Implementations return [`Error::InvalidArgument`] for an unusable code,
    /// [`Error::Storage`] or [`Error::Unavailable`] when the backend fails or
    /// cannot be reached.
    fn save_code(&self, code: &AuthorizationCode) -> Result<()>;

    /// The code, or [`Error::NotFound`] when it does not exist or has
    /// expired.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the code does not exist or has expired;
    /// [`Error::Corrupt`] when the stored record cannot be read; backend
    /// failures as in [`save_code`](Self::save_code).
    fn fetch_by_code(&self, code: &str) -> Result<AuthorizationCode>;

    /// Deletes a code; whether it existed.
    ///
    /// # Errors
    ///
    /// Not existing is `Ok(false)`; backend failures as in
    /// [`save_code`](Self::save_code).
    fn delete_code(&self, code: &str) -> Result<bool>;

    /// Fetches and deletes the code in one step: of several concurrent
    /// callers exactly one gets it, the others get [`Error::NotFound`]. This
    /// is how a token endpoint should redeem codes.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the code does not exist, has expired, or
    /// another caller took it first; otherwise the errors of
    /// [`fetch_by_code`](Self::fetch_by_code) and
    /// [`delete_code`](Self::delete_code).
    fn take_code(&self, code: &str) -> Result<AuthorizationCode> {
        let found = self.fetch_by_code(code);
        // Delete even when expired; only the caller whose delete removed
        // the entry may use it.
        let deleted = self.delete_code(code)?;
        match found {
            Ok(c) if deleted => Ok(c),
            Ok(_) => Err(code_not_found()),
            Err(e) => Err(e),
        }
    }
}

/// Issued access tokens, by token, by refresh token and by
/// client + grant + user.
pub trait AccessTokenStore: Send + Sync {
    /// Saves a token (and its refresh-token and client+grant+user
    /// mappings; a later token for the same client+grant+user replaces the
    /// earlier one in that mapping).
    ///
    /// # Errors
    ///
    /// Implementations return [`Error::InvalidArgument`] for an unusable token
    /// or key part, [`Error::Storage`] or [`Error::Unavailable`] when the
    /// backend fails or cannot be reached.
    fn save_token(&self, token: &AccessToken) -> Result<()>;

    /// The token, or [`Error::NotFound`] when unknown or expired.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the token is unknown or expired;
    /// [`Error::Corrupt`] when the stored record cannot be read; backend
    /// failures as in [`save_token`](Self::save_token).
    fn fetch_by_token(&self, token: &str) -> Result<AccessToken>;

    /// The token a refresh token was issued with, or [`Error::NotFound`]
    /// when unknown or the refresh token expired (the access token itself
    /// may be expired: that is why it is being refreshed).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the refresh token is unknown or expired;
    /// [`Error::Corrupt`] when the stored record cannot be read; backend
    /// failures as in [`save_token`](Self::save_token).
    fn fetch_by_refresh_token(&self, refresh_token: &str) -> Result<AccessToken>;

    /// Deletes a refresh token and every mapping to it: the refresh token,
    /// the access token it was issued with and, when it still points to
    /// that token, the client+grant+user mapping. Whether it existed.
    ///
    /// # Errors
    ///
    /// Not existing is `Ok(false)`; backend failures as in
    /// [`save_token`](Self::save_token).
    fn delete_refresh_token(&self, refresh_token: &str) -> Result<bool>;

    /// The latest token saved for this client, grant type and user, if it
    /// has not expired and has exactly these scopes (in any order); else
    /// [`Error::NotFound`]. A server reuses it instead of issuing another.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such token, it has expired, or its
    /// scopes differ; [`Error::Corrupt`] when the stored record cannot be read;
    /// backend failures as in [`save_token`](Self::save_token).
    fn fetch_existing_token_of_user(
        &self,
        client_id: &str,
        grant_type: &str,
        user_id: Option<&str>,
        scopes: &[String],
    ) -> Result<AccessToken>;
}

pub(crate) fn client_not_found(client_id: &str) -> Error {
    Error::NotFound {
        what: format!("client '{client_id}'"),
    }
}

pub(crate) fn code_not_found() -> Error {
    Error::NotFound {
        what: "authorization code (unknown, expired or already used)".into(),
    }
}

pub(crate) fn token_not_found() -> Error {
    Error::NotFound {
        what: "access token (unknown or expired)".into(),
    }
}

pub(crate) fn refresh_not_found() -> Error {
    Error::NotFound {
        what: "refresh token (unknown, expired or revoked)".into(),
    }
}

pub(crate) fn existing_not_found(
    client_id: &str,
    grant_type: &str,
    user_id: Option<&str>,
) -> Error {
    Error::NotFound {
        what: format!(
            "access token for client '{client_id}', grant '{grant_type}', user '{}' with these scopes",
            user_id.unwrap_or("None")
        ),
    }
}

/// Forwards every method (the backends' own atomic `take_code` included),
/// so a shared store (`&S`, `Arc<S>`) can be wrapped, e.g. in an
/// [`EncryptedServerStore`](super::EncryptedServerStore).
macro_rules! forward_server_stores {
    ($($ptr:ty),*) => {$(
        impl<T: ClientStore + ?Sized> ClientStore for $ptr {
            fn save_client(&self, client: &Client) -> Result<()> {
                (**self).save_client(client)
            }
            fn fetch_by_client_id(&self, client_id: &str) -> Result<Client> {
                (**self).fetch_by_client_id(client_id)
            }
            fn delete_client(&self, client_id: &str) -> Result<bool> {
                (**self).delete_client(client_id)
            }
        }
        impl<T: AuthCodeStore + ?Sized> AuthCodeStore for $ptr {
            fn save_code(&self, code: &AuthorizationCode) -> Result<()> {
                (**self).save_code(code)
            }
            fn fetch_by_code(&self, code: &str) -> Result<AuthorizationCode> {
                (**self).fetch_by_code(code)
            }
            fn delete_code(&self, code: &str) -> Result<bool> {
                (**self).delete_code(code)
            }
            fn take_code(&self, code: &str) -> Result<AuthorizationCode> {
                (**self).take_code(code)
            }
        }
        impl<T: AccessTokenStore + ?Sized> AccessTokenStore for $ptr {
            fn save_token(&self, token: &AccessToken) -> Result<()> {
                (**self).save_token(token)
            }
            fn fetch_by_token(&self, token: &str) -> Result<AccessToken> {
                (**self).fetch_by_token(token)
            }
            fn fetch_by_refresh_token(&self, refresh_token: &str) -> Result<AccessToken> {
                (**self).fetch_by_refresh_token(refresh_token)
            }
            fn delete_refresh_token(&self, refresh_token: &str) -> Result<bool> {
                (**self).delete_refresh_token(refresh_token)
            }
            fn fetch_existing_token_of_user(
                &self,
                client_id: &str,
                grant_type: &str,
                user_id: Option<&str>,
                scopes: &[String],
            ) -> Result<AccessToken> {
                (**self).fetch_existing_token_of_user(client_id, grant_type, user_id, scopes)
            }
        }
    )*};
}

forward_server_stores!(&T, std::sync::Arc<T>, Box<T>);
