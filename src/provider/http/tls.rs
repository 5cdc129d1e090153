//! Which certificate authorities a provider's HTTPS client trusts.
//!
//! By default the operating system's trust store
//! ([`TrustStore::Os`], read with `rustls-native-certs`, which honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`). A provider can add its own CA
//! bundle (a PEM file or PEM bytes), trust only that bundle
//! ([`TrustStore::None`]), or, with the cargo feature `webpki-roots`, use
//! Mozilla's roots compiled into the program. Certificate verification
//! itself can never be turned off. Why the OS store is the default: the
//! repository's [providers guide](https://github.com/oauthkit/oauthkit/blob/main/docs/providers.md).

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;
use ureq::tls::{Certificate, PemItem, RootCerts};

use crate::error::{Error, Result};

/// The built-in set of root certificates a provider's HTTPS client starts
/// from, before any CA added with [`TlsTrust::ca_pem`] or
/// [`TlsTrust::ca_file`].
///
/// ```
/// use oauthkit::unversioned::provider::http::TrustStore;
/// assert_eq!(TrustStore::default(), TrustStore::Os);
/// assert_eq!("os".parse::<TrustStore>().unwrap(), TrustStore::Os);
/// assert_eq!("none".parse::<TrustStore>().unwrap(), TrustStore::None);
/// assert!("everything".parse::<TrustStore>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[non_exhaustive]
pub enum TrustStore {
    /// The operating system's trust store (on Linux the distribution's CA
    /// bundle, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set; the keychain
    /// on macOS; the system certificate store on Windows). Read once per
    /// process, when the first provider is built.
    #[default]
    Os,
    /// Mozilla's root certificates as compiled into this program
    /// (`webpki-roots`): the same on every machine, updated only by
    /// rebuilding.
    #[cfg(feature = "webpki-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "webpki-roots")))]
    Mozilla,
    /// No built-in roots: only the CAs added to the [`TlsTrust`].
    None,
}

impl TrustStore {
    /// Every accepted name, as [`FromStr`] takes them.
    pub const NAMES: [&'static str; 3] = ["os", "mozilla", "none"];

    /// The name (`os`, `mozilla`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            TrustStore::Os => "os",
            #[cfg(feature = "webpki-roots")]
            TrustStore::Mozilla => "mozilla",
            TrustStore::None => "none",
        }
    }
}

impl fmt::Display for TrustStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TrustStore {
    type Err = Error;

    /// `os` (also `system`), `mozilla` (also `webpki`; needs the cargo
    /// feature `webpki-roots`) or `none`, case-insensitive.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "os" | "system" => Ok(TrustStore::Os),
            #[cfg(feature = "webpki-roots")]
            "mozilla" | "webpki" => Ok(TrustStore::Mozilla),
            #[cfg(not(feature = "webpki-roots"))]
            "mozilla" | "webpki" => Err(Error::InvalidArgument(
                "trust store 'mozilla' needs oauthkit built with the cargo feature `webpki-roots`"
                    .into(),
            )),
            "none" => Ok(TrustStore::None),
            _ => Err(Error::InvalidArgument(format!(
                "unknown trust store '{}' (OAUTHKIT_TRUST_STORE): expected one of {}",
                s.chars().take(50).collect::<String>(),
                Self::NAMES.join(", ")
            ))),
        }
    }
}

/// The certificate authorities a provider's HTTPS client trusts: a
/// [`TrustStore`] plus any number of extra CA certificates.
///
/// ```
/// use oauthkit::unversioned::provider::http::{TlsTrust, TrustStore};
/// let t = TlsTrust::default();
/// assert_eq!((t.store(), t.extra_ca_count()), (TrustStore::Os, 0));
///
/// // a bundle that is not PEM, or holds no certificate, is refused up front
/// let e = TlsTrust::default().ca_pem(b"not a certificate").unwrap_err();
/// assert_eq!(e.kind(), oauthkit::ErrorKind::InvalidArgument);
/// let e = TlsTrust::default().ca_file("/nonexistent/ca.pem").unwrap_err();
/// assert!(e.to_string().contains("/nonexistent/ca.pem"));
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TlsTrust {
    store: TrustStore,
    extra: Vec<Vec<u8>>,
}

impl fmt::Debug for TlsTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTrust")
            .field("store", &self.store)
            .field("extra_cas", &self.extra.len())
            .finish()
    }
}

impl TlsTrust {
    /// Trust `store` and nothing else yet.
    pub fn new(store: TrustStore) -> Self {
        TlsTrust {
            store,
            extra: Vec::new(),
        }
    }

    /// The built-in roots in use.
    pub fn store(&self) -> TrustStore {
        self.store
    }

    /// How many CA certificates were added.
    pub fn extra_ca_count(&self) -> usize {
        self.extra.len()
    }

    /// Replaces the built-in roots, keeping the added CAs.
    pub fn trust_store(mut self, store: TrustStore) -> Self {
        self.store = store;
        self
    }

    /// Adds every certificate of a PEM bundle (`-----BEGIN CERTIFICATE-----`
    /// blocks; other blocks, such as keys, are ignored). Fails with
    /// `InvalidArgument` when the text is not PEM, holds no certificate, or a
    /// certificate cannot serve as a trust anchor.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `pem` is not PEM, holds no certificate,
    /// or a certificate cannot serve as a trust anchor.
    pub fn ca_pem(mut self, pem: impl AsRef<[u8]>) -> Result<Self> {
        self.extra.extend(parse_bundle(pem.as_ref(), "CA bundle")?);
        Ok(self)
    }

    /// Adds the certificates of a PEM file (see
    /// [`ca_pem`](Self::ca_pem)). The file is read now; an
    /// unreadable file is an `Io` error naming it.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the file when it cannot be read; otherwise as
    /// [`ca_pem`](Self::ca_pem).
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::io(format!("reading CA bundle {}", path.display()), e))?;
        let what = format!("CA bundle {}", path.display());
        self.extra.extend(parse_bundle(&bytes, &what)?);
        Ok(self)
    }

    /// The root certificates for ureq, or why there are none.
    pub(crate) fn root_certs(&self) -> std::result::Result<RootCerts, String> {
        let extra = self
            .extra
            .iter()
            .map(|der| Certificate::from_der(der).to_owned());
        let all: Vec<Certificate<'static>> = match self.store {
            TrustStore::Os => {
                let os = os_roots();
                if os.certs.is_empty() && self.extra.is_empty() {
                    return Err(format!(
                        "no trusted root certificates: the operating system's trust store is empty or unreadable{}; \
                         install the CA certificates package, set SSL_CERT_FILE, or give a CA bundle \
                         (OAUTHKIT_CA_FILE, TlsTrust::ca_file)",
                        os.problem.as_deref().map(|p| format!(" ({p})")).unwrap_or_default()
                    ));
                }
                os.certs.iter().cloned().chain(extra).collect()
            }
            #[cfg(feature = "webpki-roots")]
            TrustStore::Mozilla if self.extra.is_empty() => return Ok(RootCerts::WebPki),
            #[cfg(feature = "webpki-roots")]
            TrustStore::Mozilla => {
                return Err(
                    "Mozilla roots cannot be combined with extra CAs in this build; \
                            use the OS store or only the CA bundle"
                        .into(),
                )
            }
            TrustStore::None if self.extra.is_empty() => {
                return Err(
                    "no trusted root certificates: trust store 'none' and no CA bundle".into(),
                )
            }
            TrustStore::None => extra.collect(),
        };
        Ok(RootCerts::Specific(Arc::new(all)))
    }
}

fn parse_bundle(pem: &[u8], what: &str) -> Result<Vec<Vec<u8>>> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(c)) => {
                let der = c.der().to_vec();
                rustls::RootCertStore::empty()
                    .add(CertificateDer::from(der.as_slice()))
                    .map_err(|e| {
                        Error::InvalidArgument(format!(
                            "{what}: certificate {} cannot be a trust anchor: {e}",
                            certs.len() + 1
                        ))
                    })?;
                certs.push(der);
            }
            Ok(_) => {}
            Err(e) => {
                return Err(Error::InvalidArgument(format!(
                    "{what} is not valid PEM: {e}"
                )))
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certs)
}

struct OsRoots {
    certs: Vec<Certificate<'static>>,
    problem: Option<String>,
}

/// The OS trust store, read once per process.
fn os_roots() -> &'static OsRoots {
    static ROOTS: OnceLock<OsRoots> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        OsRoots {
            certs: loaded
                .certs
                .iter()
                .map(|c| Certificate::from_der(c.as_ref()).to_owned())
                .collect(),
            problem: loaded.errors.first().map(|e| e.to_string()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in ["os", "none"] {
            assert_eq!(name.parse::<TrustStore>().unwrap().as_str(), name);
        }
        assert_eq!(" System ".parse::<TrustStore>().unwrap(), TrustStore::Os);
        let mozilla = "mozilla".parse::<TrustStore>();
        #[cfg(feature = "webpki-roots")]
        assert_eq!(mozilla.unwrap(), TrustStore::Mozilla);
        #[cfg(not(feature = "webpki-roots"))]
        assert!(mozilla.unwrap_err().to_string().contains("webpki-roots"));
    }

    #[test]
    fn none_without_a_bundle_has_no_roots() {
        let e = TlsTrust::new(TrustStore::None).root_certs().unwrap_err();
        assert!(e.contains("no trusted root"), "{e}");
    }

    #[test]
    fn bad_bundles_are_refused() {
        for pem in [
            &b""[..],
            b"hello",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            let e = TlsTrust::default().ca_pem(pem).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{e}");
        }
    }
}
