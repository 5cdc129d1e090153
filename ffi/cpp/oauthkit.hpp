// oauthkit.hpp: a header-only C++17 RAII wrapper over the oauthkit C ABI.
//
// Every handle is a move-only object that frees itself; every failure throws
// oauthkit::Error carrying the status code and the library's message.
// Secrets (tokens) come back as oauthkit::SecretString, which zeroes and
// frees the library's copy when it goes out of scope.
//
//   oauthkit::Store store("file:/home/me/.local/share/app/tokens.json");
//   oauthkit::TokenSet tokens("access-token");
//   store.save("alice", tokens);
//   if (auto loaded = store.load("alice")) {
//       std::cout << loaded->scope() << "\n";
//   }
//
// Threads: as in the C ABI (docs/capi.md): Store is safe to share between
// threads; TokenSet may be read from several threads but mutated by one.
#ifndef OAUTHKIT_HPP
#define OAUTHKIT_HPP

#include <oauthkit.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oauthkit {

/// A failed oauthkit call: the status (OAK_ERR_*) and the library's message.
class Error : public std::runtime_error {
  public:
    Error(OakStatus status, const std::string &message)
        : std::runtime_error(message), status_(status) {}

    /// The status code, one of the OAK_ERR_* values.
    OakStatus status() const noexcept { return status_; }

    /// The status' name, e.g. "OAK_ERR_NOT_FOUND".
    const char *status_name() const noexcept { return oak_status_name(status_); }

  private:
    OakStatus status_;
};

namespace detail {

/// Throws Error for any status but OAK_OK, with this thread's last message.
inline void check(OakStatus status) {
    if (status != OAK_OK) {
        throw Error(status, oak_last_error_message());
    }
}

/// A C string argument: refuses embedded NULs, which C would silently cut.
inline const char *c_str(const std::string &s, const char *name) {
    if (s.find('\0') != std::string::npos) {
        throw Error(OAK_ERR_INVALID_ARGUMENT,
                    std::string("invalid argument: ") + name + " contains a NUL byte");
    }
    return s.c_str();
}

struct StringFree {
    void operator()(char *s) const noexcept { oak_string_free(s); }
};
using CString = std::unique_ptr<char, StringFree>;

/// Takes ownership of a returned string; NULL becomes nullopt.
inline std::optional<std::string> take(char *raw) {
    CString owned(raw);
    if (!owned) {
        return std::nullopt;
    }
    return std::string(owned.get());
}

inline std::vector<std::string> take_array(char **items, size_t len) {
    std::vector<std::string> out;
    out.reserve(len);
    for (size_t i = 0; i < len; i++) {
        out.emplace_back(items[i]);
    }
    oak_string_array_free(items, len);
    return out;
}

}  // namespace detail

/// A secret (a token) owned by the library's allocator: zeroed and freed on
/// destruction. view() borrows it without copying.
class SecretString {
  public:
    explicit SecretString(char *raw) noexcept : raw_(raw) {}
    std::string_view view() const noexcept { return raw_ ? std::string_view(raw_.get()) : std::string_view(); }
    const char *c_str() const noexcept { return raw_ ? raw_.get() : ""; }
    bool empty() const noexcept { return view().empty(); }

  private:
    detail::CString raw_;
};

/// Who signed in, typed: the claims of an ID token
/// (TokenSet::id_token_claims) or a userinfo answer (Claims::from_json),
/// read by name. Standard claims sent with the wrong JSON type never fail
/// the read ("true"/"false" strings are booleans, anything else is kept as
/// sent: json()); a typed getter asked for a claim of another type throws
/// OAK_ERR_INVALID_ARGUMENT. Read-only: share it between threads freely.
class Claims {
  public:
    /// Reads claims from a JSON object; anything else throws
    /// OAK_ERR_INVALID_ARGUMENT.
    static Claims from_json(const std::string &json) {
        OakClaims *raw = nullptr;
        detail::check(oak_claims_from_json(detail::c_str(json, "json"), &raw));
        return Claims(raw);
    }
    /// Takes ownership of a handle from the C ABI.
    static Claims adopt(OakClaims *raw) noexcept { return Claims(raw); }

    Claims(const Claims &) = delete;
    Claims &operator=(const Claims &) = delete;
    Claims(Claims &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    Claims &operator=(Claims &&other) noexcept {
        std::swap(raw_, other.raw_);
        return *this;
    }
    ~Claims() { oak_claims_free(raw_); }

    /// A string claim ("sub", "email", a custom claim); nullopt when absent.
    std::optional<std::string> string(const std::string &name) const {
        char *out = nullptr;
        detail::check(oak_claims_string(raw_, detail::c_str(name, "name"), &out));
        return detail::take(out);
    }
    /// A boolean claim ("email_verified"); nullopt when absent.
    std::optional<bool> boolean(const std::string &name) const {
        bool present = false, value = false;
        detail::check(oak_claims_bool(raw_, detail::c_str(name, "name"), &present, &value));
        return present ? std::optional<bool>(value) : std::nullopt;
    }
    /// A time claim ("exp", "iat", "auth_time", "updated_at") in Unix
    /// seconds; nullopt when absent.
    std::optional<int64_t> time(const std::string &name) const {
        bool present = false;
        int64_t seconds = 0;
        detail::check(oak_claims_time(raw_, detail::c_str(name, "name"), &present, &seconds));
        return present ? std::optional<int64_t>(seconds) : std::nullopt;
    }
    /// Any claim as JSON text ("aud", a custom object); nullopt when absent.
    std::optional<std::string> json(const std::string &name) const {
        char *out = nullptr;
        detail::check(oak_claims_json(raw_, detail::c_str(name, "name"), &out));
        return detail::take(out);
    }
    /// All the claims as one JSON object.
    std::string to_json() const {
        char *out = nullptr;
        detail::check(oak_claims_json(raw_, nullptr, &out));
        return detail::take(out).value_or("{}");
    }
    std::optional<std::string> sub() const { return string("sub"); }
    std::optional<std::string> iss() const { return string("iss"); }
    std::optional<std::string> email() const { return string("email"); }
    std::optional<bool> email_verified() const { return boolean("email_verified"); }
    std::optional<std::string> name() const { return string("name"); }
    std::optional<int64_t> exp() const { return time("exp"); }
    /// The name to show for who signed in (email, preferred_username,
    /// login, name, then the subject id); it came from the provider.
    std::optional<std::string> display_name() const {
        char *out = nullptr;
        detail::check(oak_claims_display_name(raw_, &out));
        return detail::take(out);
    }
    /// The stable id of the user (sub, else id, login, email).
    std::optional<std::string> subject_id() const {
        char *out = nullptr;
        detail::check(oak_claims_subject_id(raw_, &out));
        return detail::take(out);
    }

    const OakClaims *get() const noexcept { return raw_; }

  private:
    explicit Claims(OakClaims *raw) noexcept : raw_(raw) {}
    OakClaims *raw_ = nullptr;
};

/// A set of tokens: access token, refresh token, ID token, scopes, expiry.
class TokenSet {
  public:
    /// A bearer token set holding only an access token, issued now.
    explicit TokenSet(const std::string &access_token) {
        detail::check(oak_token_set_new(detail::c_str(access_token, "access_token"), &raw_));
    }

    /// Takes ownership of a handle from the C ABI.
    static TokenSet adopt(OakTokenSet *raw) noexcept { return TokenSet(raw); }

    /// Parses oauthkit's JSON shape; malformed JSON throws OAK_ERR_CORRUPT.
    static TokenSet from_json(const std::string &json) {
        OakTokenSet *raw = nullptr;
        detail::check(oak_token_set_from_json(detail::c_str(json, "json"), &raw));
        return TokenSet(raw);
    }

    TokenSet(const TokenSet &other) {
        detail::check(oak_token_set_clone(other.raw_, &raw_));
    }
    TokenSet &operator=(const TokenSet &other) {
        if (this != &other) {
            TokenSet copy(other);
            std::swap(raw_, copy.raw_);
        }
        return *this;
    }
    TokenSet(TokenSet &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    TokenSet &operator=(TokenSet &&other) noexcept {
        std::swap(raw_, other.raw_);
        return *this;
    }
    ~TokenSet() { oak_token_set_free(raw_); }

    /// The JSON form (holds the tokens: treat it as a secret).
    SecretString to_json() const { return secret(oak_token_set_to_json); }
    SecretString access_token() const { return secret(oak_token_set_access_token); }
    /// The refresh token; nullopt when there is none.
    std::optional<SecretString> refresh_token() const { return optional_secret(oak_token_set_refresh_token); }
    std::optional<SecretString> id_token() const { return optional_secret(oak_token_set_id_token); }
    std::string token_type() const { return *text(oak_token_set_token_type); }
    /// The granted scopes, space-separated.
    std::string scope() const { return *text(oak_token_set_scope); }
    std::optional<std::string> resource_server() const { return text(oak_token_set_resource_server); }
    std::optional<std::string> identity_id() const { return text(oak_token_set_identity_id); }
    /// The ID token's claims (validated when it was received); nullopt
    /// without an ID token.
    std::optional<Claims> id_token_claims() const {
        OakClaims *raw = nullptr;
        detail::check(oak_token_set_id_token_claims(raw_, &raw));
        if (!raw) {
            return std::nullopt;
        }
        return Claims::adopt(raw);
    }

    /// The expiry in Unix seconds; nullopt when unknown.
    std::optional<int64_t> expires_at() const {
        int64_t at = 0;
        bool known = false;
        detail::check(oak_token_set_expires_at(raw_, &at, &known));
        return known ? std::optional<int64_t>(at) : std::nullopt;
    }
    int64_t issued_at() const {
        int64_t at = 0;
        detail::check(oak_token_set_issued_at(raw_, &at));
        return at;
    }
    bool is_expired(int64_t leeway_secs = 0) const {
        bool expired = false;
        detail::check(oak_token_set_is_expired(raw_, leeway_secs, &expired));
        return expired;
    }
    bool has_scope(const std::string &scope) const {
        bool has = false;
        detail::check(oak_token_set_has_scope(raw_, detail::c_str(scope, "scope"), &has));
        return has;
    }

    void set_refresh_token(const std::optional<std::string> &token) {
        detail::check(oak_token_set_set_refresh_token(raw_, token ? detail::c_str(*token, "refresh_token") : nullptr));
    }
    void set_id_token(const std::optional<std::string> &token) {
        detail::check(oak_token_set_set_id_token(raw_, token ? detail::c_str(*token, "id_token") : nullptr));
    }
    void set_scope(const std::string &scope) {
        detail::check(oak_token_set_set_scope(raw_, detail::c_str(scope, "scope")));
    }
    void set_expires_in(int64_t seconds) { detail::check(oak_token_set_set_expires_in(raw_, seconds)); }
    void set_resource_server(const std::optional<std::string> &rs) {
        detail::check(oak_token_set_set_resource_server(raw_, rs ? detail::c_str(*rs, "resource_server") : nullptr));
    }

    /// The C handle, still owned by this object.
    const OakTokenSet *get() const noexcept { return raw_; }
    OakTokenSet *get() noexcept { return raw_; }

  private:
    explicit TokenSet(OakTokenSet *raw) noexcept : raw_(raw) {}

    using Getter = OakStatus (*)(const OakTokenSet *, char **);
    std::optional<std::string> text(Getter get) const {
        char *out = nullptr;
        detail::check(get(raw_, &out));
        return detail::take(out);
    }
    SecretString secret(Getter get) const {
        char *out = nullptr;
        detail::check(get(raw_, &out));
        return SecretString(out);
    }
    std::optional<SecretString> optional_secret(Getter get) const {
        char *out = nullptr;
        detail::check(get(raw_, &out));
        if (!out) {
            return std::nullopt;
        }
        return SecretString(out);
    }

    OakTokenSet *raw_ = nullptr;
};

/// A token store opened from a spec ("memory:", "file:/path/tokens.json",
/// "sqlite:/path/tokens.db", "keyring:app", each optionally followed by
/// "?namespace=NAME"). Safe to share between threads.
class Store {
  public:
    explicit Store(const std::string &spec) { detail::check(oak_store_open(detail::c_str(spec, "spec"), &raw_)); }

    /// The default store (OAUTHKIT_STORE or the user's data directory).
    static Store open_default() {
        OakStore *raw = nullptr;
        detail::check(oak_store_open_default(&raw));
        return Store(raw);
    }

    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;
    Store(Store &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    Store &operator=(Store &&other) noexcept {
        std::swap(raw_, other.raw_);
        return *this;
    }
    ~Store() { oak_store_free(raw_); }

    void save(const std::string &key, const TokenSet &tokens) const {
        detail::check(oak_store_save(raw_, detail::c_str(key, "key"), tokens.get()));
    }
    /// The token set under key; nullopt when there is none.
    std::optional<TokenSet> load(const std::string &key) const {
        OakTokenSet *raw = nullptr;
        detail::check(oak_store_load(raw_, detail::c_str(key, "key"), &raw));
        if (!raw) {
            return std::nullopt;
        }
        return TokenSet::adopt(raw);
    }
    /// Whether there was a token set to delete.
    bool remove(const std::string &key) const {
        bool deleted = false;
        detail::check(oak_store_delete(raw_, detail::c_str(key, "key"), &deleted));
        return deleted;
    }
    bool exists(const std::string &key) const {
        bool exists = false;
        detail::check(oak_store_exists(raw_, detail::c_str(key, "key"), &exists));
        return exists;
    }
    std::vector<std::string> keys() const { return list(oak_store_list); }
    std::vector<std::string> namespaces() const { return list(oak_store_namespaces); }
    std::string ns() const { return text(oak_store_namespace); }
    std::string backend() const { return text(oak_store_backend); }

    const OakStore *get() const noexcept { return raw_; }

  private:
    explicit Store(OakStore *raw) noexcept : raw_(raw) {}

    std::vector<std::string> list(OakStatus (*get)(const OakStore *, char ***, size_t *)) const {
        char **items = nullptr;
        size_t len = 0;
        detail::check(get(raw_, &items, &len));
        return detail::take_array(items, len);
    }
    std::string text(OakStatus (*get)(const OakStore *, char **)) const {
        char *out = nullptr;
        detail::check(get(raw_, &out));
        return *detail::take(out);
    }

    OakStore *raw_ = nullptr;
};

/// An authorization server. Flows and sessions keep their own reference, so
/// a Provider may be destroyed before them. Safe to share between threads.
class Provider {
  public:
    /// A generic OpenID Connect provider (discovery, ID-token validation).
    static Provider oidc(const std::string &issuer, const std::string &client_id,
                         const std::optional<std::string> &client_secret = std::nullopt,
                         const std::optional<std::string> &scopes = std::nullopt) {
        OakProvider *raw = nullptr;
        detail::check(oak_provider_oidc(detail::c_str(issuer, "issuer"), detail::c_str(client_id, "client_id"),
                                        opt(client_secret, "client_secret"), opt(scopes, "scopes"), &raw));
        return Provider(raw);
    }
    static Provider google(const std::string &client_id, const std::optional<std::string> &client_secret = std::nullopt,
                           const std::optional<std::string> &scopes = std::nullopt) {
        OakProvider *raw = nullptr;
        detail::check(oak_provider_google(detail::c_str(client_id, "client_id"), opt(client_secret, "client_secret"),
                                          opt(scopes, "scopes"), &raw));
        return Provider(raw);
    }
    /// tenant first, as in C, Rust and Go: "common" (or empty), "organizations", "consumers", a tenant ID
    /// or a domain.
    static Provider microsoft(const std::string &tenant, const std::string &client_id,
                              const std::optional<std::string> &client_secret = std::nullopt,
                              const std::optional<std::string> &scopes = std::nullopt) {
        OakProvider *raw = nullptr;
        detail::check(oak_provider_microsoft(tenant.empty() ? nullptr : detail::c_str(tenant, "tenant"),
                                             detail::c_str(client_id, "client_id"),
                                             opt(client_secret, "client_secret"), opt(scopes, "scopes"), &raw));
        return Provider(raw);
    }
    static Provider github(const std::string &client_id, const std::optional<std::string> &client_secret = std::nullopt,
                           const std::optional<std::string> &scopes = std::nullopt) {
        OakProvider *raw = nullptr;
        detail::check(oak_provider_github(detail::c_str(client_id, "client_id"), opt(client_secret, "client_secret"),
                                          opt(scopes, "scopes"), &raw));
        return Provider(raw);
    }
    /// Keycloak: the realm on the server at base_url (issuer {base_url}/realms/{realm}; a trailing '/' and a
    /// legacy /auth path are fine). par_required: the client has "Pushed authorization request required" on.
    static Provider keycloak(const std::string &base_url, const std::string &realm, const std::string &client_id,
                             const std::optional<std::string> &client_secret = std::nullopt,
                             const std::optional<std::string> &scopes = std::nullopt, bool par_required = false) {
        OakProvider *raw = nullptr;
        detail::check(oak_provider_keycloak(detail::c_str(base_url, "base_url"), detail::c_str(realm, "realm"),
                                            detail::c_str(client_id, "client_id"), opt(client_secret, "client_secret"),
                                            opt(scopes, "scopes"), par_required, &raw));
        return Provider(raw);
    }
    /// Auth0: the tenant domain (issuer https://{domain}/); audience names the API access tokens are for.
    static Provider auth0(const std::string &domain, const std::string &client_id,
                          const std::optional<std::string> &client_secret = std::nullopt,
                          const std::optional<std::string> &scopes = std::nullopt,
                          const std::optional<std::string> &audience = std::nullopt) {
        OakProvider *raw = nullptr;
        detail::check(oak_provider_auth0(detail::c_str(domain, "domain"), detail::c_str(client_id, "client_id"),
                                         opt(client_secret, "client_secret"), opt(scopes, "scopes"),
                                         opt(audience, "audience"), &raw));
        return Provider(raw);
    }
    /// Okta: the org URL and an authorization server: "" or "default" ({org}/oauth2/default), an id
    /// ({org}/oauth2/{id}) or "org" (the org authorization server, issuer = the org URL).
    static Provider okta(const std::string &org_url, const std::string &authorization_server,
                         const std::string &client_id, const std::optional<std::string> &client_secret = std::nullopt,
                         const std::optional<std::string> &scopes = std::nullopt) {
        OakProvider *raw = nullptr;
        detail::check(oak_provider_okta(detail::c_str(org_url, "org_url"),
                                        authorization_server.empty()
                                            ? nullptr
                                            : detail::c_str(authorization_server, "authorization_server"),
                                        detail::c_str(client_id, "client_id"), opt(client_secret, "client_secret"),
                                        opt(scopes, "scopes"), &raw));
        return Provider(raw);
    }
    /// GitLab: the instance's base URL ("" for https://gitlab.com); the issuer is the base URL.
    static Provider gitlab(const std::string &base_url, const std::string &client_id,
                           const std::optional<std::string> &client_secret = std::nullopt,
                           const std::optional<std::string> &scopes = std::nullopt) {
        OakProvider *raw = nullptr;
        detail::check(oak_provider_gitlab(base_url.empty() ? nullptr : detail::c_str(base_url, "base_url"),
                                          detail::c_str(client_id, "client_id"), opt(client_secret, "client_secret"),
                                          opt(scopes, "scopes"), &raw));
        return Provider(raw);
    }
    /// The provider the OAUTHKIT_* environment variables describe.
    static Provider from_env() {
        OakProvider *raw = nullptr;
        detail::check(oak_provider_from_env(&raw));
        return Provider(raw);
    }

    Provider(const Provider &) = delete;
    Provider &operator=(const Provider &) = delete;
    Provider(Provider &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    Provider &operator=(Provider &&other) noexcept {
        std::swap(raw_, other.raw_);
        return *this;
    }
    ~Provider() { oak_provider_free(raw_); }

    std::string name() const {
        char *out = nullptr;
        detail::check(oak_provider_name(raw_, &out));
        return *detail::take(out);
    }
    /// The configured issuer (no network); nullopt for providers without one (GitHub).
    std::optional<std::string> issuer() const {
        char *out = nullptr;
        detail::check(oak_provider_issuer(raw_, &out));
        return detail::take(out);
    }
    /// Revokes a token (RFC 7009); false when the provider cannot revoke.
    bool revoke(const std::string &token, int32_t hint = OAK_TOKEN_HINT_NONE) const {
        bool revoked = false;
        detail::check(oak_provider_revoke(raw_, detail::c_str(token, "token"), hint, &revoked));
        return revoked;
    }
    /// The userinfo claims as JSON ("null" when the provider has none).
    std::string userinfo_json(const std::string &access_token) const {
        char *out = nullptr;
        detail::check(oak_provider_userinfo(raw_, detail::c_str(access_token, "access_token"), &out));
        return *detail::take(out);
    }

    const OakProvider *get() const noexcept { return raw_; }

  private:
    explicit Provider(OakProvider *raw) noexcept : raw_(raw) {}
    static const char *opt(const std::optional<std::string> &s, const char *name) {
        return s ? detail::c_str(*s, name) : nullptr;
    }
    OakProvider *raw_ = nullptr;
};

/// Keeps stored tokens fresh: access_token() refreshes (once per key at a
/// time) when the token is about to expire. Safe to share between threads.
class Session {
  public:
    /// Told of each refreshed token set (the tokens are already saved).
    /// Runs on the thread whose call refreshed; exceptions it throws are
    /// swallowed (they cannot cross the C boundary).
    using RefreshHook = std::function<void(const std::string &key, const TokenSet &tokens)>;

    Session(const Provider &provider, const Store &store, RefreshHook on_refresh = {})
        : hook_(on_refresh ? std::make_unique<RefreshHook>(std::move(on_refresh)) : nullptr) {
        detail::check(oak_session_new(provider.get(), store.get(), hook_ ? &Session::trampoline : nullptr,
                                      hook_.get(), &raw_));
    }
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;
    Session(Session &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)), hook_(std::move(other.hook_)) {}
    ~Session() { oak_session_free(raw_); }

    /// A valid access token for key (zeroed when the SecretString dies).
    SecretString access_token(const std::string &key) const {
        char *out = nullptr;
        detail::check(oak_session_access_token(raw_, detail::c_str(key, "key"), &out));
        return SecretString(out);
    }
    TokenSet tokens(const std::string &key) const {
        OakTokenSet *out = nullptr;
        detail::check(oak_session_tokens(raw_, detail::c_str(key, "key"), &out));
        return TokenSet::adopt(out);
    }
    /// Refreshes now, whatever the expiry.
    TokenSet refresh(const std::string &key) const {
        OakTokenSet *out = nullptr;
        detail::check(oak_session_refresh(raw_, detail::c_str(key, "key"), &out));
        return TokenSet::adopt(out);
    }
    /// Revokes and deletes the tokens of key; whether there were any.
    bool logout(const std::string &key) const {
        bool had = false;
        detail::check(oak_session_logout(raw_, detail::c_str(key, "key"), &had));
        return had;
    }

    /// DPoP (RFC 9449) header values for one API request with the
    /// DPoP-bound tokens of key: `Authorization` and `DPoP`.
    struct DpopHeaders {
        SecretString authorization;
        SecretString dpop;
    };
    DpopHeaders dpop_headers(const std::string &key, const std::string &method, const std::string &url) const {
        char *authorization = nullptr, *dpop = nullptr;
        detail::check(oak_dpop_headers(raw_, detail::c_str(key, "key"), detail::c_str(method, "method"),
                                       detail::c_str(url, "url"), &authorization, &dpop));
        return DpopHeaders{SecretString(authorization), SecretString(dpop)};
    }
    /// Records the resource server's answer (its `DPoP-Nonce`); whether to
    /// send the request once more with new headers.
    bool record_dpop_nonce(const std::string &url, uint16_t status,
                           const std::optional<std::string> &www_authenticate,
                           const std::optional<std::string> &dpop_nonce) const {
        bool retry = false;
        detail::check(oak_dpop_record_nonce(
            raw_, detail::c_str(url, "url"), status,
            www_authenticate ? detail::c_str(*www_authenticate, "www_authenticate") : nullptr,
            dpop_nonce ? detail::c_str(*dpop_nonce, "dpop_nonce") : nullptr, &retry));
        return retry;
    }

    const OakSession *get() const noexcept { return raw_; }

  private:
    static void trampoline(const char *key, const OakTokenSet *tokens, void *user_data) noexcept {
        try {
            OakTokenSet *copy = nullptr;
            if (oak_token_set_clone(tokens, &copy) == OAK_OK) {
                (*static_cast<RefreshHook *>(user_data))(key, TokenSet::adopt(copy));
            }
        } catch (...) {
        }
    }

    OakSession *raw_ = nullptr;
    std::unique_ptr<RefreshHook> hook_;
};

/// What a successful sign-in gives.
struct SignIn {
    TokenSet tokens;
    std::string key;
    std::optional<std::string> user_info_json;
};

/// The native loopback sign-in. Configure, then run_native() on one thread;
/// cancel() from any other.
class Flow {
  public:
    /// Shows the authorization URL; must return promptly (start a browser).
    using OpenBrowser = std::function<void(const std::string &url)>;

    explicit Flow(const Provider &provider, const Store *store = nullptr, const Session *session = nullptr) {
        detail::check(oak_flow_new(provider.get(), store ? store->get() : nullptr,
                                   session ? session->get() : nullptr, &raw_));
    }
    Flow(const Flow &) = delete;
    Flow &operator=(const Flow &) = delete;
    Flow(Flow &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    ~Flow() { oak_flow_free(raw_); }

    Flow &timeout(std::chrono::seconds t) {
        detail::check(oak_flow_set_timeout(raw_, static_cast<uint64_t>(t.count())));
        return *this;
    }
    Flow &token_key(const std::string &key) {
        detail::check(oak_flow_set_token_key(raw_, detail::c_str(key, "key")));
        return *this;
    }
    Flow &param(const std::string &name, const std::string &value) {
        detail::check(oak_flow_add_param(raw_, detail::c_str(name, "name"), detail::c_str(value, "value")));
        return *this;
    }
    Flow &userinfo(bool fetch) {
        detail::check(oak_flow_set_userinfo(raw_, fetch));
        return *this;
    }

    /// Runs the sign-in; an empty open_browser uses the system browser. An
    /// exception thrown by open_browser ends the run and is rethrown here.
    SignIn run_native(OpenBrowser open_browser = {}) const {
        Opener opener{&open_browser, nullptr};
        OakTokenSet *tokens = nullptr;
        char *key = nullptr;
        char *info = nullptr;
        OakStatus status = oak_flow_run_native(raw_, open_browser ? &Flow::trampoline : nullptr, &opener, &tokens,
                                               &key, &info);
        if (opener.error) {
            std::rethrow_exception(opener.error);
        }
        detail::check(status);
        auto key_text = detail::take(key);
        return SignIn{TokenSet::adopt(tokens), key_text.value_or(""), detail::take(info)};
    }

    /// Cancels a running sign-in (from any thread).
    void cancel() const { detail::check(oak_flow_cancel(raw_)); }
    /// Where the current or last sign-in is.
    OakFlowState state() const {
        OakFlowState s = OAK_FLOW_IDLE;
        detail::check(oak_flow_state(raw_, &s));
        return s;
    }

  private:
    struct Opener {
        OpenBrowser *open;
        std::exception_ptr error;
    };
    static int32_t trampoline(const char *url, void *user_data) noexcept {
        auto *opener = static_cast<Opener *>(user_data);
        try {
            (*opener->open)(url);
            return OAK_OK;
        } catch (...) {
            opener->error = std::current_exception();
            return OAK_ERR_AUTHENTICATION;
        }
    }

    OakFlow *raw_ = nullptr;
};

/// The development OpenID provider on 127.0.0.1 (library built with the
/// dev-provider feature; otherwise the constructor throws OAK_ERR_UNSUPPORTED).
class DevProvider {
  public:
    explicit DevProvider(bool auto_approve = true, uint64_t access_token_ttl_secs = 0, bool rotate_refresh_tokens = false) {
        detail::check(oak_dev_provider_start(auto_approve, access_token_ttl_secs, rotate_refresh_tokens, &raw_));
    }
    DevProvider(const DevProvider &) = delete;
    DevProvider &operator=(const DevProvider &) = delete;
    ~DevProvider() { oak_dev_provider_free(raw_); }

    std::string issuer() const { return text(oak_dev_provider_issuer); }
    std::string client_id() const { return text(oak_dev_provider_client_id); }
    uint64_t token_requests(const std::string &grant_type) const {
        uint64_t n = 0;
        detail::check(oak_dev_provider_token_requests(raw_, detail::c_str(grant_type, "grant_type"), &n));
        return n;
    }
    bool is_token_active(const std::string &token) const {
        bool active = false;
        detail::check(oak_dev_provider_is_token_active(raw_, detail::c_str(token, "token"), &active));
        return active;
    }
    /// The headless browser: approves the sign-in at authorize_url (blocks
    /// until the flow's callback answered; call it from another thread).
    static void approve(const std::string &authorize_url) {
        detail::check(oak_dev_browser_approve(detail::c_str(authorize_url, "authorize_url")));
    }
    static void deny(const std::string &authorize_url) {
        detail::check(oak_dev_browser_deny(detail::c_str(authorize_url, "authorize_url")));
    }

  private:
    std::string text(OakStatus (*get)(const OakDevProvider *, char **)) const {
        char *out = nullptr;
        detail::check(get(raw_, &out));
        return *detail::take(out);
    }
    OakDevProvider *raw_ = nullptr;
};

// --- The device grant, client credentials, signing out at the provider and
// --- token exchange (RFC 8628, RFC 6749 §4.4, RP-initiated logout, RFC 8693).

/// What the user needs to approve a device sign-in.
struct DeviceCode {
    std::string user_code;
    std::string verification_uri;
    /// Embeds the code (show it as a QR code); empty when the provider sent none.
    std::string verification_uri_complete;
    uint64_t expires_in_seconds = 0;
};

/// The device authorization grant: for machines without a browser.
/// Configure, then run() on one thread; cancel() from any other.
class DeviceFlow {
  public:
    /// Shows the code; must return promptly. An exception ends the run and
    /// is rethrown by run().
    using Prompt = std::function<void(const DeviceCode &code)>;

    explicit DeviceFlow(const Provider &provider, const Store *store = nullptr) {
        detail::check(oak_device_flow_new(provider.get(), store ? store->get() : nullptr, &raw_));
    }
    DeviceFlow(const DeviceFlow &) = delete;
    DeviceFlow &operator=(const DeviceFlow &) = delete;
    DeviceFlow(DeviceFlow &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    ~DeviceFlow() { oak_device_flow_free(raw_); }

    DeviceFlow &timeout(std::chrono::seconds t) {
        detail::check(oak_device_flow_set_timeout(raw_, static_cast<uint64_t>(t.count())));
        return *this;
    }
    DeviceFlow &scopes(const std::string &scopes) {
        detail::check(oak_device_flow_set_scopes(raw_, detail::c_str(scopes, "scopes")));
        return *this;
    }
    DeviceFlow &param(const std::string &name, const std::string &value) {
        detail::check(
            oak_device_flow_add_param(raw_, detail::c_str(name, "name"), detail::c_str(value, "value")));
        return *this;
    }
    DeviceFlow &token_key(const std::string &key) {
        detail::check(oak_device_flow_set_token_key(raw_, detail::c_str(key, "key")));
        return *this;
    }

    /// Blocks until the user approved (the tokens and the key they were
    /// stored under), refused, the code expired, the timeout passed or
    /// cancel() was called (OAK_ERR_CANCELLED). An empty prompt prints the
    /// URI, the code and a QR code on standard error.
    SignIn run(Prompt prompt = {}) const {
        Shown shown{&prompt, nullptr};
        OakTokenSet *tokens = nullptr;
        char *key = nullptr;
        OakStatus status =
            oak_device_flow_run(raw_, prompt ? &DeviceFlow::trampoline : nullptr, &shown, &tokens, &key);
        if (shown.error) {
            std::rethrow_exception(shown.error);
        }
        detail::check(status);
        auto key_text = detail::take(key);
        return SignIn{TokenSet::adopt(tokens), key_text.value_or(""), std::nullopt};
    }
    /// Cancels a running sign-in (from any thread).
    void cancel() const { detail::check(oak_device_flow_cancel(raw_)); }

  private:
    struct Shown {
        Prompt *prompt;
        std::exception_ptr error;
    };
    static int32_t trampoline(const char *user_code, const char *uri, const char *uri_complete, uint64_t expires_in,
                              void *user_data) noexcept {
        auto *shown = static_cast<Shown *>(user_data);
        try {
            (*shown->prompt)(DeviceCode{user_code, uri, uri_complete ? uri_complete : "", expires_in});
            return 0;
        } catch (...) {
            shown->error = std::current_exception();
            return 1;
        }
    }
    OakDeviceFlow *raw_ = nullptr;
};

/// A cached client-credentials token of the session's (confidential)
/// provider and its store key: one grant per key however many threads ask.
struct ServiceToken {
    TokenSet tokens;
    std::string key;
};

inline ServiceToken client_credentials(const Session &session, const std::optional<std::string> &scopes = std::nullopt,
                                       const std::optional<std::string> &resource = std::nullopt,
                                       const std::optional<std::string> &audience = std::nullopt) {
    auto opt = [](const std::optional<std::string> &s, const char *name) {
        return s ? detail::c_str(*s, name) : nullptr;
    };
    OakTokenSet *tokens = nullptr;
    char *key = nullptr;
    detail::check(oak_session_client_credentials(session.get(), opt(scopes, "scopes"), opt(resource, "resource"),
                                                 opt(audience, "audience"), &tokens, &key));
    auto k = detail::take(key);
    return ServiceToken{TokenSet::adopt(tokens), k.value_or("")};
}

/// What a sign-out did.
using LogoutResult = OakLogoutResult;

/// Signs key out everywhere: revokes, deletes, then opens the provider's
/// end-session URL with open_url (empty: the system browser) and waits up
/// to timeout for the provider's redirect. A provider without an
/// end-session endpoint, or a timeout, is not an error:
/// provider_session_ended is then false.
inline LogoutResult logout(const Provider &provider, const Store &store, const std::string &key,
                           std::chrono::seconds timeout = std::chrono::seconds(0),
                           std::function<void(const std::string &url)> open_url = {}) {
    struct Opener {
        std::function<void(const std::string &)> *open;
        std::exception_ptr error;
    } opener{&open_url, nullptr};
    OakOpenBrowserFn trampoline = [](const char *url, void *user_data) noexcept -> int32_t {
        auto *o = static_cast<Opener *>(user_data);
        try {
            (*o->open)(url);
            return 0;
        } catch (...) {
            o->error = std::current_exception();
            return 1;
        }
    };
    LogoutResult result{};
    OakStatus status = oak_logout(provider.get(), store.get(), detail::c_str(key, "key"),
                                  static_cast<uint64_t>(timeout.count()), open_url ? trampoline : nullptr, &opener,
                                  &result);
    if (opener.error) {
        std::rethrow_exception(opener.error);
    }
    detail::check(status);
    return result;
}

/// Revokes and deletes key's tokens and returns the provider's end-session
/// URL (nullopt when it has none) for programs that navigate themselves.
inline std::pair<std::optional<std::string>, LogoutResult> logout_url(
    const Provider &provider, const Store &store, const std::string &key,
    const std::optional<std::string> &post_logout_redirect_uri = std::nullopt) {
    char *url = nullptr;
    LogoutResult result{};
    detail::check(oak_logout_url(
        provider.get(), store.get(), detail::c_str(key, "key"),
        post_logout_redirect_uri ? detail::c_str(*post_logout_redirect_uri, "post_logout_redirect_uri") : nullptr,
        &url, &result));
    return {detail::take(url), result};
}

/// RFC 8693 token type URIs.
namespace token_types {
inline constexpr const char *access_token = "urn:ietf:params:oauth:token-type:access_token";
inline constexpr const char *refresh_token = "urn:ietf:params:oauth:token-type:refresh_token";
inline constexpr const char *id_token = "urn:ietf:params:oauth:token-type:id_token";
inline constexpr const char *jwt = "urn:ietf:params:oauth:token-type:jwt";
}  // namespace token_types

/// An RFC 8693 token exchange request (subject token and type required).
struct TokenExchangeRequest {
    std::string subject_token;
    std::string subject_token_type = token_types::access_token;
    std::optional<std::string> actor_token;
    std::optional<std::string> actor_token_type;
    std::vector<std::string> audiences;
    std::vector<std::string> resources;
    std::optional<std::string> scopes;
    std::optional<std::string> requested_token_type;
};

/// The issued token (its token type is "N_A" when it is not an access
/// token: never send it as Bearer) and the issued token type URI.
struct TokenExchangeResult {
    TokenSet tokens;
    std::string issued_token_type;
};

/// Exchanges the request's subject token at the provider's token endpoint
/// with the provider's client authentication.
inline TokenExchangeResult exchange_token(const Provider &provider, const TokenExchangeRequest &request) {
    auto opt = [](const std::optional<std::string> &s, const char *name) {
        return s ? detail::c_str(*s, name) : nullptr;
    };
    auto ptrs = [](const std::vector<std::string> &items, const char *name) {
        std::vector<const char *> out;
        for (const auto &s : items) {
            out.push_back(detail::c_str(s, name));
        }
        return out;
    };
    auto auds = ptrs(request.audiences, "audience");
    auto res = ptrs(request.resources, "resource");
    OakTokenSet *tokens = nullptr;
    char *issued = nullptr;
    detail::check(oak_token_exchange(provider.get(), detail::c_str(request.subject_token, "subject_token"),
                                     detail::c_str(request.subject_token_type, "subject_token_type"),
                                     opt(request.actor_token, "actor_token"),
                                     opt(request.actor_token_type, "actor_token_type"),
                                     auds.empty() ? nullptr : auds.data(), auds.size(),
                                     res.empty() ? nullptr : res.data(), res.size(), opt(request.scopes, "scopes"),
                                     opt(request.requested_token_type, "requested_token_type"), &tokens, &issued));
    auto type = detail::take(issued);
    return TokenExchangeResult{TokenSet::adopt(tokens), type.value_or("")};
}

/// A JWT bearer assertion oauthkit signs (RFC 7523 §2.1): each request
/// signs a fresh one (new jti, valid 5 minutes).
struct JwtBearerAssertion {
    JwtBearerAssertion(std::string key_, std::string issuer_, std::string subject_)
        : key(std::move(key_)), issuer(std::move(issuer_)), subject(std::move(subject_)) {}

    /// A PEM private key or a private JWK (a secret: never in an Error).
    std::string key;
    /// The assertion's iss and sub.
    std::string issuer;
    std::string subject;
    /// RS256, PS256, ES256 or EdDSA; nullopt: worked out from the key.
    std::optional<std::string> alg;
    /// The JWS header's kid; nullopt: none.
    std::optional<std::string> kid;
    /// The assertion's aud; nullopt: the provider's issuer, else its token
    /// endpoint.
    std::optional<std::string> audience;
};

/// An RFC 7523 §2.1 JWT bearer request: exactly one of `assertion` (a
/// signed JWT the caller has, a secret) and `sign` (oauthkit signs one).
///
///   oauthkit::JwtBearerAssertion a(pem, "https://issuer.example", "user-42");
///   a.alg = "ES256";
///   auto req = oauthkit::JwtBearerRequest::signed_by(a);
///   req.scopes = "api:read";
///   oauthkit::TokenSet tokens = oauthkit::jwt_bearer(provider, req);
struct JwtBearerRequest {
    std::optional<std::string> assertion;
    std::optional<JwtBearerAssertion> sign;
    /// Scopes separated by spaces; nullopt: the provider's.
    std::optional<std::string> scopes;

    /// A request for an assertion the caller has.
    static JwtBearerRequest with_assertion(std::string assertion) {
        JwtBearerRequest r;
        r.assertion = std::move(assertion);
        return r;
    }
    /// A request for an assertion oauthkit signs.
    static JwtBearerRequest signed_by(JwtBearerAssertion assertion) {
        JwtBearerRequest r;
        r.sign = std::move(assertion);
        return r;
    }
};

/// Trades the request's assertion for tokens at the provider's token
/// endpoint, with the provider's client authentication (a client secret
/// or, through the OAUTHKIT_PRIVATE_KEY setting, private_key_jwt). The
/// provider's refusal (a bad signature, issuer, audience, a reused jti)
/// throws Error with OAK_ERR_INVALID_GRANT (or OAK_ERR_OAUTH); a malformed
/// assertion or key, or a request with both or neither of `assertion` and
/// `sign`, OAK_ERR_INVALID_ARGUMENT before any request. Neither the key
/// nor the assertion appears in the message.
inline TokenSet jwt_bearer(const Provider &provider, const JwtBearerRequest &request) {
    if (request.assertion.has_value() == request.sign.has_value()) {
        throw Error(OAK_ERR_INVALID_ARGUMENT,
                    "invalid argument: a JWT bearer request needs exactly one of assertion and sign");
    }
    auto opt = [](const std::optional<std::string> &s, const char *name) {
        return s ? detail::c_str(*s, name) : nullptr;
    };
    OakTokenSet *tokens = nullptr;
    if (request.assertion) {
        detail::check(oak_provider_jwt_bearer(provider.get(), detail::c_str(*request.assertion, "assertion"),
                                              opt(request.scopes, "scopes"), &tokens));
    } else {
        const JwtBearerAssertion &a = *request.sign;
        detail::check(oak_provider_jwt_bearer_signed(
            provider.get(), detail::c_str(a.key, "key"), opt(a.alg, "alg"), opt(a.kid, "kid"),
            detail::c_str(a.issuer, "issuer"), detail::c_str(a.subject, "subject"), opt(a.audience, "audience"),
            opt(request.scopes, "scopes"), &tokens));
    }
    return TokenSet::adopt(tokens);
}

/// The library's version string and ABI version.
/// Log levels, most severe first (OAK_LOG_*).
enum class LogLevel : int32_t {
    Off = OAK_LOG_OFF,
    Error = OAK_LOG_ERROR,
    Warn = OAK_LOG_WARN,
    Info = OAK_LOG_INFO,
    Debug = OAK_LOG_DEBUG,
    Trace = OAK_LOG_TRACE,
};

/// Receives oauthkit's log records (level, target such as
/// "oauthkit::session", message); no record holds a secret.
using LogHandler = std::function<void(LogLevel level, const std::string &target, const std::string &message)>;

namespace detail {
struct LogState {
    std::mutex lock;
    std::unique_ptr<LogHandler> handler;
};
inline LogState &log_state() {
    static LogState state;
    return state;
}
inline void log_trampoline(int32_t level, const char *target, const char *message, void *user_data) noexcept {
    try {
        (*static_cast<LogHandler *>(user_data))(static_cast<LogLevel>(level), target, message);
    } catch (...) {
    }
}
}  // namespace detail

/// Sends oauthkit's records at `level` and more severe to `handler`
/// (oak_set_log_callback); an empty handler or LogLevel::Off turns logging
/// off. The handler may be called from any thread, concurrently, and must
/// be thread-safe; exceptions it throws are swallowed. Replacing it waits
/// for calls of the previous handler still running, then destroys it. Do
/// not call this from inside the handler (it throws Error with
/// OAK_ERR_INVALID_ARGUMENT).
inline void set_log_handler(LogLevel level, LogHandler handler) {
    auto &state = detail::log_state();
    std::lock_guard<std::mutex> guard(state.lock);
    std::unique_ptr<LogHandler> next = handler ? std::make_unique<LogHandler>(std::move(handler)) : nullptr;
    detail::check(oak_set_log_callback(static_cast<int32_t>(level), next ? &detail::log_trampoline : nullptr,
                                       next.get()));
    state.handler = std::move(next);  // the previous handler is no longer called
}

inline std::string version() { return oak_version(); }
inline uint32_t abi_version() noexcept { return oak_abi_version(); }

}  // namespace oauthkit

#endif  // OAUTHKIT_HPP
