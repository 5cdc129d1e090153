// GoogleTest tests of the device grant, client credentials, sign-out at
// the provider, token exchange and JWT bearer grant wrappers, against
// panva's oidc-provider (tests/browser/oidc-server.mjs, installed by
// scripts/setup-browser.sh).
// The user's side (login, consent, device confirmation, logout
// confirmation) is tests/browser/http-user.mjs, over HTTP with a cookie
// jar file, so one "browser" keeps its provider session across steps.
#include "oauthkit.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kBrowserDir = fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "tests" /
                             "browser";

/// oidc-server.mjs as a child process; stops when the object dies.
class OidcServer {
  public:
    OidcServer() {
        if (!fs::exists(kBrowserDir / "node_modules" / "oidc-provider")) {
            ADD_FAILURE() << "oidc-provider is not installed in " << kBrowserDir << ": run scripts/setup-browser.sh";
            return;
        }
        int in[2], out[2];
        if (pipe(in) != 0 || pipe(out) != 0) {
            ADD_FAILURE() << "pipe";
            return;
        }
        pid_ = fork();
        if (pid_ == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            close(in[1]);
            close(out[0]);
            std::string script = (kBrowserDir / "oidc-server.mjs").string();
            execlp("node", "node", script.c_str(), "oauthkit-cpp-test", static_cast<char *>(nullptr));
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        stdin_ = in[1];
        FILE *f = fdopen(out[0], "r");
        char line[512] = {0};
        if (f == nullptr || fgets(line, sizeof line, f) == nullptr || std::string(line).rfind("READY ", 0) != 0) {
            ADD_FAILURE() << "oidc-server.mjs did not start (is node installed? scripts/setup-browser.sh)";
            return;
        }
        stdout_ = f;
        issuer = std::string(line + 6);
        while (!issuer.empty() && (issuer.back() == '\n' || issuer.back() == '\r')) {
            issuer.pop_back();
        }
    }
    ~OidcServer() {
        if (stdin_ >= 0) {
            close(stdin_);
        }
        if (pid_ > 0) {
            for (int i = 0; i < 50 && waitpid(pid_, nullptr, WNOHANG) == 0; i++) {
                usleep(100 * 1000);
            }
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (stdout_ != nullptr) {
            fclose(stdout_);
        }
    }
    bool ok() const { return !issuer.empty(); }
    std::string client(const std::string &kind) const { return "oauthkit-cpp-test-" + kind; }
    std::string secret(const std::string &kind) const {
        return client(kind) + "-secret-0123456789abcdef0123456789abcdef";
    }

    std::string issuer;

  private:
    pid_t pid_ = -1;
    int stdin_ = -1;
    FILE *stdout_ = nullptr;
};

/// Runs http-user.mjs on url; returns its JSON line ("" on failure).
std::string act_as_user(const std::string &url, const std::string &issuer, const std::string &cookies) {
    std::string cmd = "node '" + (kBrowserDir / "http-user.mjs").string() + "' '" + url + "' '" + issuer + "' '" +
                      cookies + "' alice";
    FILE *p = popen(cmd.c_str(), "r");
    if (p == nullptr) {
        return "";
    }
    std::string out;
    std::array<char, 512> buf{};
    while (fgets(buf.data(), buf.size(), p) != nullptr) {
        out += buf.data();
    }
    return pclose(p) == 0 ? out : "";
}

class Scratch {
  public:
    Scratch() {
        std::string templ = (fs::temp_directory_path() / "oak-cpp-grants-XXXXXX").string();
        path_ = mkdtemp(templ.data());
    }
    ~Scratch() { fs::remove_all(path_); }
    std::string file(const std::string &name) const { return (path_ / name).string(); }

  private:
    fs::path path_;
};

}  // namespace

TEST(DeviceGrant, SignsInThenTheTokenIsExchanged) {
    OidcServer idp;
    ASSERT_TRUE(idp.ok());
    Scratch dir;
    auto provider = oauthkit::Provider::oidc(idp.issuer, idp.client("device"), std::nullopt, "openid");
    oauthkit::Store store("file:" + dir.file("tokens.json"));
    oauthkit::DeviceFlow flow(provider, &store);
    flow.timeout(std::chrono::seconds(60)).token_key("alice-device");
    std::future<std::string> user;
    oauthkit::DeviceCode shown;
    auto signed_in = flow.run([&](const oauthkit::DeviceCode &code) {
        shown = code;
        user = std::async(std::launch::async, act_as_user, code.verification_uri_complete, idp.issuer,
                          dir.file("cookies.json"));
    });
    EXPECT_NE(user.get(), "");
    EXPECT_EQ(signed_in.key, "alice-device");
    EXPECT_FALSE(shown.user_code.empty());
    EXPECT_EQ(shown.verification_uri.rfind(idp.issuer, 0), 0u);
    EXPECT_EQ(signed_in.tokens.identity_id().value_or(""), "alice");
    std::string subject = signed_in.tokens.access_token().c_str();

    auto gateway = oauthkit::Provider::oidc(idp.issuer, idp.client("tx"), idp.secret("tx"));
    oauthkit::TokenExchangeRequest req;
    req.subject_token = subject;
    req.audiences = {"https://api.example"};
    req.resources = {"https://api.example/", "https://other.example/"};
    req.scopes = "openid";
    auto exchanged = oauthkit::exchange_token(gateway, req);
    EXPECT_EQ(exchanged.issued_token_type, oauthkit::token_types::access_token);
    EXPECT_EQ(exchanged.tokens.token_type(), "Bearer");
    EXPECT_NE(std::string(exchanged.tokens.access_token().c_str()), subject);

    oauthkit::TokenExchangeRequest jwt;
    jwt.subject_token = subject;
    jwt.requested_token_type = oauthkit::token_types::jwt;
    auto j = oauthkit::exchange_token(gateway, jwt);
    EXPECT_EQ(j.issued_token_type, oauthkit::token_types::jwt);
    EXPECT_EQ(j.tokens.token_type(), "N_A");

    req.resources = {"https://unknown.example/"};
    try {
        oauthkit::exchange_token(gateway, req);
        ADD_FAILURE() << "an unknown resource was accepted";
    } catch (const oauthkit::Error &e) {
        EXPECT_EQ(e.status(), OAK_ERR_OAUTH);
        EXPECT_NE(std::string(e.what()).find("invalid_target"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find(subject), std::string::npos) << e.what();
    }
    oauthkit::TokenExchangeRequest bad;
    bad.subject_token = subject;
    bad.subject_token_type = "access_token";
    try {
        oauthkit::exchange_token(gateway, bad);
        ADD_FAILURE() << "a short type name was accepted";
    } catch (const oauthkit::Error &e) {
        EXPECT_EQ(e.status(), OAK_ERR_INVALID_ARGUMENT);
    }
}

TEST(DeviceGrant, CancelAndPromptExceptions) {
    OidcServer idp;
    ASSERT_TRUE(idp.ok());
    auto provider = oauthkit::Provider::oidc(idp.issuer, idp.client("device"), std::nullopt, "openid");
    oauthkit::DeviceFlow flow(provider);
    std::thread canceller;
    try {
        flow.run([&](const oauthkit::DeviceCode &) {
            canceller = std::thread([&] {
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                flow.cancel();
            });
        });
        ADD_FAILURE() << "not cancelled";
    } catch (const oauthkit::Error &e) {
        EXPECT_EQ(e.status(), OAK_ERR_CANCELLED);
    }
    canceller.join();
    EXPECT_THROW(flow.run([](const oauthkit::DeviceCode &) { throw std::runtime_error("no screen"); }),
                 std::runtime_error);
}

TEST(ClientCredentials, CachedWithOneRequest) {
    OidcServer idp;
    ASSERT_TRUE(idp.ok());
    auto provider = oauthkit::Provider::oidc(idp.issuer, idp.client("cc-basic"), idp.secret("cc-basic"), "api:read");
    oauthkit::Store store("memory:");
    oauthkit::Session session(provider, store);
    auto a = oauthkit::client_credentials(session, std::nullopt, "https://api.example/");
    auto b = oauthkit::client_credentials(session, std::nullopt, "https://api.example/");
    EXPECT_EQ(std::string(a.tokens.access_token().c_str()), b.tokens.access_token().c_str());
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.key.rfind("client_credentials:" + idp.client("cc-basic") + ":", 0), 0u) << a.key;
    try {
        oauthkit::client_credentials(session, std::nullopt, "https://unknown.example/");
        ADD_FAILURE() << "an unknown resource was accepted";
    } catch (const oauthkit::Error &e) {
        EXPECT_EQ(e.status(), OAK_ERR_OAUTH);
    }
}

TEST(Logout, EndsTheProviderSessionAndLogoutUrl) {
    OidcServer idp;
    ASSERT_TRUE(idp.ok());
    Scratch dir;
    auto provider = oauthkit::Provider::oidc(idp.issuer, "oauthkit-cpp-test", std::nullopt, "openid");
    oauthkit::Store store("file:" + dir.file("tokens.json"));
    std::string cookies = dir.file("cookies.json");
    auto sign_in = [&](const std::string &prompt) {
        oauthkit::Flow flow(provider, &store);
        flow.timeout(std::chrono::seconds(30)).token_key("alice");
        if (!prompt.empty()) {
            flow.param("prompt", prompt);
        }
        std::future<std::string> user;
        auto open = [&](const std::string &url) {
            user = std::async(std::launch::async, act_as_user, url, idp.issuer, cookies);
        };
        try {
            auto s = flow.run_native(open);
            EXPECT_NE(user.get(), "");
            return std::string("ok");
        } catch (const oauthkit::Error &e) {
            user.wait();
            return std::string(e.what());
        }
    };
    ASSERT_EQ(sign_in(""), "ok");
    // the provider session is alive: prompt=none needs interaction (a
    // native client), not a login
    EXPECT_NE(sign_in("none").find("interaction_required"), std::string::npos);
    std::future<std::string> user;
    auto result = oauthkit::logout(provider, store, "alice", std::chrono::seconds(30), [&](const std::string &url) {
        user = std::async(std::launch::async, act_as_user, url, idp.issuer, cookies);
    });
    EXPECT_NE(user.get(), "");
    EXPECT_TRUE(result.provider_session_ended);
    EXPECT_TRUE(result.tokens_revoked);
    EXPECT_TRUE(result.tokens_deleted);
    EXPECT_FALSE(store.load("alice").has_value());
    EXPECT_NE(sign_in("none").find("login_required"), std::string::npos);

    // logout_url: the URL for programs that navigate themselves
    ASSERT_EQ(sign_in(""), "ok");
    auto [url, r] = oauthkit::logout_url(provider, store, "alice", "http://127.0.0.1/logged-out");
    ASSERT_TRUE(url.has_value());
    EXPECT_EQ(url->rfind(idp.issuer, 0), 0u);
    EXPECT_NE(url->find("id_token_hint="), std::string::npos);
    EXPECT_TRUE(r.tokens_deleted);
    EXPECT_FALSE(r.provider_session_ended);
}

// The JWT bearer grant (RFC 7523 §2.1) at oidc-provider, whose test server
// registers the grant for the private_key_jwt client and trusts one
// issuer's ES256 key (both keys at GET /test/keys); as the Rust test
// jwt_bearer_grant_with_assertions_oauthkit_signs. HTTP, JSON and the
// independent signing are node's (jose from tests/browser/node_modules).
namespace {

/// Runs an ES module in tests/browser with `env` set; returns its stdout
/// (the test fails on a non-zero exit).
std::string node_module(const std::string &script, const std::vector<std::pair<std::string, std::string>> &env) {
    setenv("OAK_NODE_SCRIPT", script.c_str(), 1);
    for (const auto &[name, value] : env) {
        setenv(name.c_str(), value.c_str(), 1);
    }
    std::string cmd = "cd '" + kBrowserDir.string() + "' && node --input-type=module -e \"$OAK_NODE_SCRIPT\"";
    FILE *p = popen(cmd.c_str(), "r");
    std::string out;
    if (p != nullptr) {
        std::array<char, 512> buf{};
        size_t n;
        while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) {
            out.append(buf.data(), n);
        }
        if (pclose(p) != 0) {
            ADD_FAILURE() << "node failed: " << script;
        }
    }
    for (const auto &kv : env) {
        unsetenv(kv.first.c_str());
    }
    unsetenv("OAK_NODE_SCRIPT");
    return out;
}

std::string test_key(const OidcServer &idp, const std::string &field) {
    return node_module(
        "const k = await (await fetch(process.env.OAK_URL)).json(); process.stdout.write(k[process.env.OAK_FIELD]);",
        {{"OAK_URL", idp.issuer + "/test/keys"}, {"OAK_FIELD", field}});
}

/// The provider's answer to each JWT bearer request, one per line.
std::vector<std::string> jwt_bearer_outcomes(const OidcServer &idp) {
    std::string out = node_module(
        "const s = await (await fetch(process.env.OAK_URL)).json();"
        "process.stdout.write(s.jwt_bearer.map((o) => o.answer + '\\n').join(''));",
        {{"OAK_URL", idp.issuer + "/test/stats"}});
    std::vector<std::string> lines;
    size_t at = 0;
    for (size_t nl; (nl = out.find('\n', at)) != std::string::npos; at = nl + 1) {
        lines.push_back(out.substr(at, nl - at));
    }
    return lines;
}

/// An ES256 assertion signed by jose, independently of oauthkit (fresh jti).
std::string jose_assertion(const std::string &pem, const std::string &iss, const std::string &sub,
                           const std::string &aud) {
    return node_module(
        "import * as jose from 'jose'; import crypto from 'node:crypto';"
        "const e = process.env; const key = await jose.importPKCS8(e.OAK_KEY, 'ES256');"
        "process.stdout.write(await new jose.SignJWT({}).setProtectedHeader({ alg: 'ES256', typ: 'JWT' })"
        ".setIssuer(e.OAK_ISS).setSubject(e.OAK_SUB).setAudience(e.OAK_AUD).setIssuedAt()"
        ".setExpirationTime('5m').setJti(crypto.randomUUID()).sign(key));",
        {{"OAK_KEY", pem}, {"OAK_ISS", iss}, {"OAK_SUB", sub}, {"OAK_AUD", aud}});
}

std::string new_es256_pem() {
    return node_module(
        "import * as jose from 'jose';"
        "const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });"
        "process.stdout.write(await jose.exportPKCS8(privateKey));",
        {});
}

/// The private_key_jwt client through the OAUTHKIT_* settings (the
/// environment, unset again afterwards; other OAUTHKIT_* variables of the
/// machine are unset first).
oauthkit::Provider pkjwt_provider(const OidcServer &idp, const std::string &client_pem) {
    std::vector<std::string> ambient;
    for (char **e = environ; *e != nullptr; e++) {
        std::string kv(*e);
        if (kv.rfind("OAUTHKIT_", 0) == 0) {
            ambient.push_back(kv.substr(0, kv.find('=')));
        }
    }
    for (const auto &name : ambient) {
        unsetenv(name.c_str());
    }
    const std::vector<std::pair<std::string, std::string>> settings = {
        {"OAUTHKIT_PROVIDER", "oidc"},
        {"OAUTHKIT_ISSUER_URL", idp.issuer},
        {"OAUTHKIT_CLIENT_ID", idp.client("pkjwt")},
        {"OAUTHKIT_SCOPES", "openid api:read"},
        {"OAUTHKIT_PRIVATE_KEY", client_pem},
        {"OAUTHKIT_PRIVATE_KEY_ALG", "ES256"},
        {"OAUTHKIT_PRIVATE_KEY_KID", "pkjwt-es256"},
    };
    for (const auto &[name, value] : settings) {
        setenv(name.c_str(), value.c_str(), 1);
    }
    auto provider = oauthkit::Provider::from_env();
    for (const auto &kv : settings) {
        unsetenv(kv.first.c_str());
    }
    return provider;
}

/// Whether msg holds a secret or any line or JWS part of it (a PEM body).
bool holds_secret(const std::string &msg, const std::string &secret) {
    if (secret.size() >= 16 && msg.find(secret) != std::string::npos) {
        return true;
    }
    size_t at = 0;
    while (at < secret.size()) {
        size_t end = secret.find_first_of("\n.", at);
        if (end == std::string::npos) {
            end = secret.size();
        }
        std::string part = secret.substr(at, end - at);
        if (part.size() >= 16 && part.rfind("-----", 0) != 0 && msg.find(part) != std::string::npos) {
            return true;
        }
        at = end + 1;
    }
    return false;
}

}  // namespace

TEST(JwtBearer, SignedAndGivenAssertionsAndTypedRefusals) {
    OidcServer idp;
    ASSERT_TRUE(idp.ok());
    const std::string client_pem = test_key(idp, "pkjwt_es256_pem");
    const std::string issuer_pem = test_key(idp, "bearer_issuer_pem");
    const std::string trusted_issuer = test_key(idp, "bearer_issuer");
    ASSERT_NE(client_pem.find("PRIVATE KEY"), std::string::npos);
    ASSERT_NE(issuer_pem.find("PRIVATE KEY"), std::string::npos);
    ASSERT_FALSE(trusted_issuer.empty());
    auto provider = pkjwt_provider(idp, client_pem);

    // oauthkit signs a fresh assertion (new jti) each time: both accepted,
    // the tokens are the subject's
    oauthkit::JwtBearerAssertion assertion(issuer_pem, trusted_issuer, "user-42");
    assertion.alg = "ES256";
    for (int i = 0; i < 2; i++) {
        oauthkit::TokenSet tokens = oauthkit::jwt_bearer(provider, oauthkit::JwtBearerRequest::signed_by(assertion));
        EXPECT_TRUE(tokens.has_scope("api:read")) << tokens.scope();
        EXPECT_EQ(tokens.token_type(), "Bearer");
        std::string info = provider.userinfo_json(tokens.access_token().c_str());
        EXPECT_NE(info.find("\"sub\":\"user-42\""), std::string::npos) << info;
    }
    // the algorithm worked out from the key, the audience given (the token
    // endpoint), scopes asked for
    oauthkit::JwtBearerAssertion to_endpoint(issuer_pem, trusted_issuer, "user-7");
    to_endpoint.audience = idp.issuer + "/token";
    auto req = oauthkit::JwtBearerRequest::signed_by(to_endpoint);
    req.scopes = "openid";
    EXPECT_FALSE(oauthkit::jwt_bearer(provider, req).access_token().empty());

    // an assertion jose signed, given as a string; single use (jti)
    const std::string given = jose_assertion(issuer_pem, trusted_issuer, "user-42", idp.issuer);
    ASSERT_EQ(std::count(given.begin(), given.end(), '.'), 2) << given;
    auto with_given = oauthkit::JwtBearerRequest::with_assertion(given);
    with_given.scopes = "openid";
    EXPECT_FALSE(oauthkit::jwt_bearer(provider, with_given).access_token().empty());
    try {
        oauthkit::jwt_bearer(provider, with_given);
        ADD_FAILURE() << "a reused assertion was accepted";
    } catch (const oauthkit::Error &e) {
        EXPECT_EQ(e.status(), OAK_ERR_INVALID_GRANT) << e.what();
        EXPECT_FALSE(holds_secret(e.what(), given)) << e.what();
    }

    // refusals: OAK_ERR_INVALID_GRANT, neither key nor assertion in the message
    const std::string stranger_pem = new_es256_pem();
    ASSERT_NE(stranger_pem.find("PRIVATE KEY"), std::string::npos);
    oauthkit::JwtBearerAssertion unknown_key(stranger_pem, trusted_issuer, "user-42");
    oauthkit::JwtBearerAssertion wrong_issuer(issuer_pem, "https://evil.example", "user-42");
    oauthkit::JwtBearerAssertion wrong_audience(issuer_pem, trusted_issuer, "user-42");
    wrong_audience.audience = "https://other.example";
    const std::vector<std::pair<std::string, oauthkit::JwtBearerRequest>> refused = {
        {"unknown key", oauthkit::JwtBearerRequest::signed_by(unknown_key)},
        {"wrong issuer", oauthkit::JwtBearerRequest::signed_by(wrong_issuer)},
        {"wrong audience", oauthkit::JwtBearerRequest::signed_by(wrong_audience)},
        {"given, unknown key", oauthkit::JwtBearerRequest::with_assertion(
                                   jose_assertion(stranger_pem, trusted_issuer, "user-42", idp.issuer))},
        {"given, wrong issuer", oauthkit::JwtBearerRequest::with_assertion(
                                    jose_assertion(issuer_pem, "https://evil.example", "user-42", idp.issuer))},
    };
    for (const auto &[label, r] : refused) {
        try {
            oauthkit::jwt_bearer(provider, r);
            ADD_FAILURE() << label << ": accepted";
        } catch (const oauthkit::Error &e) {
            EXPECT_EQ(e.status(), OAK_ERR_INVALID_GRANT) << label << ": " << e.what();
            for (const auto &secret : {r.assertion.value_or(""), issuer_pem, stranger_pem, client_pem}) {
                EXPECT_FALSE(holds_secret(e.what(), secret)) << label << ": " << e.what();
            }
        }
    }
    auto outcomes = jwt_bearer_outcomes(idp);
    ASSERT_EQ(outcomes.size(), 10u);
    const std::vector<std::string> accepted = {"token", "token", "token", "token", "jti reused"};
    EXPECT_EQ(std::vector<std::string>(outcomes.begin(), outcomes.begin() + 5), accepted);
    for (size_t i = 5; i < outcomes.size(); i++) {
        EXPECT_EQ(outcomes[i].rfind("assertion rejected", 0), 0u) << outcomes[i];
    }

    // refused before any request: both or neither of assertion and sign, a
    // NUL, a malformed assertion or key (never echoed)
    const std::string bad_key =
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0S2V5Qnl0ZXNfbm90X2Ffa2V5\n-----END PRIVATE KEY-----\n";
    oauthkit::JwtBearerRequest neither;
    neither.scopes = "openid";
    auto both = oauthkit::JwtBearerRequest::signed_by(assertion);
    both.assertion = given;
    oauthkit::JwtBearerAssertion nul_subject(issuer_pem, trusted_issuer, std::string("u\0x", 3));
    oauthkit::JwtBearerAssertion not_a_key(bad_key, trusted_issuer, "user-42");
    oauthkit::JwtBearerAssertion no_subject(issuer_pem, trusted_issuer, "");
    oauthkit::JwtBearerAssertion unknown_alg(issuer_pem, trusted_issuer, "user-42");
    unknown_alg.alg = "none";
    const std::vector<std::pair<std::string, oauthkit::JwtBearerRequest>> invalid = {
        {"neither", neither},
        {"both", both},
        {"NUL in the assertion", oauthkit::JwtBearerRequest::with_assertion(std::string("a.b\0.c", 6))},
        {"NUL in the subject", oauthkit::JwtBearerRequest::signed_by(nul_subject)},
        {"not a JWT", oauthkit::JwtBearerRequest::with_assertion("not-a-jwt-c2VjcmV0QXNzZXJ0aW9u")},
        {"not a key", oauthkit::JwtBearerRequest::signed_by(not_a_key)},
        {"no subject", oauthkit::JwtBearerRequest::signed_by(no_subject)},
        {"unknown alg", oauthkit::JwtBearerRequest::signed_by(unknown_alg)},
    };
    for (const auto &[label, r] : invalid) {
        try {
            oauthkit::jwt_bearer(provider, r);
            ADD_FAILURE() << label << ": accepted";
        } catch (const oauthkit::Error &e) {
            EXPECT_EQ(e.status(), OAK_ERR_INVALID_ARGUMENT) << label << ": " << e.what();
            for (const auto &secret : {r.assertion.value_or(""), bad_key, issuer_pem, given}) {
                EXPECT_FALSE(holds_secret(e.what(), secret)) << label << ": " << e.what();
            }
        }
    }
    EXPECT_EQ(jwt_bearer_outcomes(idp).size(), outcomes.size()) << "a refused request reached the provider";
}
