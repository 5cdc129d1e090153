// GoogleTest tests of the device grant, client credentials, sign-out at
// the provider and token exchange wrappers, against panva's oidc-provider
// (tests/browser/oidc-server.mjs, installed by scripts/setup-browser.sh).
// The user's side (login, consent, device confirmation, logout
// confirmation) is tests/browser/http-user.mjs, over HTTP with a cookie
// jar file, so one "browser" keeps its provider session across steps.
#include "oauthkit.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

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
