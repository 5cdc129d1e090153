// GoogleTest tests of oauthkit.hpp against the real library.
#include "oauthkit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

class TempDir {
  public:
    TempDir() {
        std::string templ = (fs::temp_directory_path() / "oak-cpp-XXXXXX").string();
        path_ = mkdtemp(templ.data());
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string file(const std::string &name) const { return (path_ / name).string(); }

  private:
    fs::path path_;
};

template <typename F>
oauthkit::Error expect_error(F &&f) {
    try {
        f();
    } catch (const oauthkit::Error &e) {
        return e;
    }
    ADD_FAILURE() << "no oauthkit::Error thrown";
    return oauthkit::Error(OAK_OK, "");
}

}  // namespace

TEST(Version, ReportsVersionAndAbi) {
    EXPECT_FALSE(oauthkit::version().empty());
    EXPECT_GE(oauthkit::abi_version(), static_cast<uint32_t>(OAK_ABI_VERSION));
}

TEST(Store, FileStoreRoundTrip) {
    TempDir dir;
    std::string spec = "file:" + dir.file("tokens.json") + "?namespace=cpp-app";
    oauthkit::Store store(spec);
    oauthkit::TokenSet tokens("at-1");
    tokens.set_refresh_token("rt-1");
    tokens.set_scope("openid email");
    tokens.set_expires_in(3600);
    store.save("alice", tokens);

    oauthkit::Store other(spec);  // a second handle on the same file
    auto loaded = other.load("alice");
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->access_token().view(), "at-1");
    ASSERT_TRUE(loaded->refresh_token().has_value());
    EXPECT_EQ(loaded->refresh_token()->view(), "rt-1");
    EXPECT_FALSE(loaded->id_token().has_value());
    EXPECT_EQ(loaded->scope(), "openid email");
    EXPECT_TRUE(loaded->has_scope("email"));
    EXPECT_FALSE(loaded->is_expired(60));
    ASSERT_TRUE(loaded->expires_at().has_value());
    EXPECT_EQ(other.keys(), std::vector<std::string>{"alice"});
    EXPECT_EQ(other.namespaces(), std::vector<std::string>{"cpp-app"});
    EXPECT_EQ(other.ns(), "cpp-app");
    EXPECT_EQ(other.backend(), "file");
    EXPECT_TRUE(other.remove("alice"));
    EXPECT_FALSE(other.remove("alice"));
    EXPECT_FALSE(store.exists("alice"));
}

TEST(Store, MissingKeyIsNullopt) {
    oauthkit::Store store("memory:");
    EXPECT_FALSE(store.load("nobody").has_value());
}

TEST(Errors, CarryStatusAndMessage) {
    auto e = expect_error([] { oauthkit::Store store("floppy:/a"); });
    EXPECT_EQ(e.status(), OAK_ERR_INVALID_ARGUMENT);
    EXPECT_STREQ(e.status_name(), "OAK_ERR_INVALID_ARGUMENT");
    EXPECT_NE(std::string(e.what()).find("unknown store scheme 'floppy'"), std::string::npos);

    auto corrupt = expect_error([] { oauthkit::TokenSet::from_json("{\"access_token\": \"secret-at\""); });
    EXPECT_EQ(corrupt.status(), OAK_ERR_CORRUPT);
    EXPECT_EQ(std::string(corrupt.what()).find("secret-at"), std::string::npos);
}

// A DPoP-bound token set (an ES256 test key made for this test only).
TEST(Dpop, HeadersAndNonceForApiCalls) {
    const std::string json =
        R"({"access_token": "cpp-at", "token_type": "DPoP", "expires_in": 3600, "dpop_key": {"alg": "ES256", )"
        R"("pkcs8": "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpQ4Qgf602slxJel7hEnv1niBW_CKURT7rn4DABrvUvGhRANCAASxyO2qv5tWLG-)"
        R"(AZjgYOcoicyRSN3yyVKk-cnRMqb5JtBk9z1VtOBTVjZtQ0RJ8REHm79ZKGjNEqI-aCmUmtpyS"}})";
    auto provider = oauthkit::Provider::oidc("https://idp.example", "cpp-client");
    oauthkit::Store store("memory:");
    store.save("bound", oauthkit::TokenSet::from_json(json));
    oauthkit::Session session(provider, store);
    const std::string url = "https://api.example/v1/items";
    auto h = session.dpop_headers("bound", "GET", url + "?page=2");
    EXPECT_EQ(h.authorization.view(), "DPoP cpp-at");
    EXPECT_EQ(std::count(h.dpop.view().begin(), h.dpop.view().end(), '.'), 2);
    EXPECT_TRUE(session.record_dpop_nonce(url, 401, std::string(R"(DPoP error="use_dpop_nonce")"), std::string("n-1")));
    auto again = session.dpop_headers("bound", "GET", url);
    EXPECT_NE(again.dpop.view(), h.dpop.view());
    EXPECT_FALSE(session.record_dpop_nonce(url, 200, std::nullopt, std::nullopt));
    TempDir dir;
    auto e = expect_error([&] {
        oauthkit::Store plain("file:" + dir.file("t.json"));
        plain.save("bound", oauthkit::TokenSet::from_json(json));
    });
    EXPECT_EQ(e.status(), OAK_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(e.what()).find("encrypt="), std::string::npos);
}

TEST(Errors, NonUtf8AndEmbeddedNulAreRefused) {
    oauthkit::Store store("memory:");
    oauthkit::TokenSet tokens("at");
    auto bad = expect_error([&] { store.save("caf\xe9", tokens); });
    EXPECT_EQ(bad.status(), OAK_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(bad.what()).find("key is not valid UTF-8"), std::string::npos);

    auto nul = expect_error([&] { store.save(std::string("a\0b", 3), tokens); });
    EXPECT_EQ(nul.status(), OAK_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(store.keys().empty());
}

TEST(TokenSet, CopiesAreIndependentAndMovesSafe) {
    auto ts = oauthkit::TokenSet::from_json(
        R"({"access_token":"at","refresh_token":"rt","issued_at":1700000000,"expires_at":1700003600,"identity_id":"user-1"})");
    oauthkit::TokenSet copy = ts;
    copy.set_refresh_token(std::nullopt);
    EXPECT_TRUE(ts.refresh_token().has_value());
    EXPECT_FALSE(copy.refresh_token().has_value());
    EXPECT_EQ(ts.identity_id(), std::optional<std::string>("user-1"));
    EXPECT_EQ(ts.issued_at(), 1700000000);
    EXPECT_EQ(ts.expires_at(), std::optional<int64_t>(1700003600));

    oauthkit::TokenSet moved = std::move(ts);
    EXPECT_EQ(moved.access_token().view(), "at");
    auto back = oauthkit::TokenSet::from_json(std::string(moved.to_json().view()));
    EXPECT_EQ(back.token_type(), "Bearer");
    EXPECT_EQ(back.expires_at(), std::optional<int64_t>(1700003600));
}

TEST(Store, SharedBetweenThreads) {
    TempDir dir;
    oauthkit::Store store("file:" + dir.file("t.json"));
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; i++) {
        threads.emplace_back([&store, i] {
            oauthkit::TokenSet ts("at-" + std::to_string(i));
            store.save("k" + std::to_string(i), ts);
        });
    }
    for (auto &t : threads) t.join();
    EXPECT_EQ(store.keys().size(), 4u);
}

// ---- providers, the native flow and the session manager, against the
// development provider (the library is built with FEATURES=dev-provider,capi-server).

namespace {

struct Dev {
    oauthkit::DevProvider idp{true};
    oauthkit::Provider provider =
        oauthkit::Provider::oidc(idp.issuer(), idp.client_id(), std::nullopt, "openid email profile offline_access");
};

/// An opener that approves on a thread of its own, joined on destruction.
class Approver {
  public:
    oauthkit::Flow::OpenBrowser opener() {
        return [this](const std::string &url) {
            url_ = url;
            thread_ = std::thread([url] { oauthkit::DevProvider::approve(url); });
        };
    }
    const std::string &url() const { return url_; }
    ~Approver() {
        if (thread_.joinable()) thread_.join();
    }

  private:
    std::string url_;
    std::thread thread_;
};

}  // namespace

TEST(Flow, SignsInRefreshesAndLogsOut) {
    Dev dev;
    TempDir dir;
    oauthkit::Store store("file:" + dir.file("t.json"));
    oauthkit::SignIn result = [&] {
        Approver approver;
        oauthkit::Flow flow(dev.provider, &store);
        flow.timeout(std::chrono::seconds(30));
        auto r = flow.run_native(approver.opener());
        EXPECT_EQ(flow.state(), OAK_FLOW_COMPLETED);
        EXPECT_NE(approver.url().find("code_challenge_method=S256"), std::string::npos);
        return r;
    }();
    EXPECT_EQ(result.key, "dev-user-1");
    ASSERT_TRUE(result.user_info_json.has_value());
    EXPECT_NE(result.user_info_json->find("dev.user@example.test"), std::string::npos);
    {
        auto id = result.tokens.id_token_claims();
        ASSERT_TRUE(id.has_value());
        EXPECT_EQ(id->sub(), "dev-user-1");
        EXPECT_EQ(id->iss(), dev.idp.issuer());
        ASSERT_TRUE(id->exp().has_value());
        EXPECT_GT(*id->exp(), static_cast<int64_t>(std::time(nullptr)));
        EXPECT_THROW(id->time("sub"), oauthkit::Error);
        auto info = oauthkit::Claims::from_json(*result.user_info_json);
        EXPECT_EQ(info.display_name(), "dev.user@example.test");
        EXPECT_EQ(info.subject_id(), "dev-user-1");
        auto odd = oauthkit::Claims::from_json(
            R"({"sub":"u","email_verified":"true","updated_at":"2024-01-01","n":{"k":1}})");
        EXPECT_EQ(odd.email_verified(), true);
        EXPECT_EQ(odd.json("updated_at"), "\"2024-01-01\"");
        EXPECT_EQ(odd.json("n"), "{\"k\":1}");
        EXPECT_THROW(odd.time("updated_at"), oauthkit::Error);
        EXPECT_THROW(oauthkit::Claims::from_json("[1]"), oauthkit::Error);
        EXPECT_FALSE(oauthkit::TokenSet("at").id_token_claims().has_value());
    }
    EXPECT_TRUE(result.tokens.refresh_token().has_value());
    EXPECT_EQ(dev.idp.token_requests("authorization_code"), 1u);

    std::vector<std::string> refreshed;
    std::mutex lock;
    oauthkit::Session session(dev.provider, store, [&](const std::string &key, const oauthkit::TokenSet &tokens) {
        std::lock_guard<std::mutex> guard(lock);
        refreshed.push_back(key + ":" + std::string(tokens.access_token().view()));
    });
    auto stored = store.load("dev-user-1");
    ASSERT_TRUE(stored.has_value());
    stored->set_expires_in(-10);
    store.save("dev-user-1", *stored);
    auto at = session.access_token("dev-user-1");
    EXPECT_EQ(dev.idp.token_requests("refresh_token"), 1u);
    ASSERT_EQ(refreshed.size(), 1u);
    EXPECT_EQ(refreshed[0], "dev-user-1:" + std::string(at.view()));
    session.access_token("dev-user-1");  // fresh: no second refresh
    EXPECT_EQ(dev.idp.token_requests("refresh_token"), 1u);

    auto missing = expect_error([&] { session.access_token("nobody"); });
    EXPECT_EQ(missing.status(), OAK_ERR_NOT_FOUND);

    std::string refresh_token(result.tokens.refresh_token()->view());
    EXPECT_TRUE(session.logout("dev-user-1"));
    EXPECT_FALSE(dev.idp.is_token_active(refresh_token));
    EXPECT_FALSE(store.exists("dev-user-1"));
}

TEST(Flow, CancelFromAnotherThread) {
    Dev dev;
    oauthkit::Flow flow(dev.provider);
    std::thread canceller([&flow] {
        while (flow.state() != OAK_FLOW_WAITING_FOR_CALLBACK) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        flow.cancel();
    });
    auto e = expect_error([&] { flow.run_native([](const std::string &) {}); });
    canceller.join();
    EXPECT_EQ(e.status(), OAK_ERR_CANCELLED);
    EXPECT_EQ(flow.state(), OAK_FLOW_CANCELLED);
}

TEST(Flow, AnExceptionInTheOpenerIsRethrown) {
    Dev dev;
    oauthkit::Flow flow(dev.provider);
    EXPECT_THROW(flow.run_native([](const std::string &) { throw std::logic_error("no browser here"); }),
                 std::logic_error);
    EXPECT_EQ(flow.state(), OAK_FLOW_FAILED);
}

TEST(Provider, PresetsAndRevocation) {
    EXPECT_EQ(oauthkit::Provider::google("id.apps.googleusercontent.com").name(), "google");
    EXPECT_EQ(oauthkit::Provider::microsoft("consumers", "id").name(), "microsoft");
    EXPECT_EQ(oauthkit::Provider::github("id", "secret").name(), "github");
    auto bad = expect_error([] { oauthkit::Provider::oidc("not a url", "id"); });
    EXPECT_EQ(bad.status(), OAK_ERR_INVALID_ARGUMENT);

    Dev dev;
    oauthkit::Store store("memory:");
    Approver approver;
    oauthkit::Flow flow(dev.provider, &store);
    auto result = flow.run_native(approver.opener());
    std::string at(result.tokens.access_token().view());
    EXPECT_NE(dev.provider.userinfo_json(at).find("dev-user-1"), std::string::npos);
    EXPECT_TRUE(dev.provider.revoke(at, OAK_TOKEN_HINT_ACCESS_TOKEN));
    EXPECT_FALSE(dev.idp.is_token_active(at));
}

TEST(Provider, KeycloakAuth0OktaGitLabIssuersAndBadArguments) {
    using oauthkit::Provider;
    EXPECT_EQ(Provider::keycloak("https://sso.example/", "acme", "cli").issuer(), "https://sso.example/realms/acme");
    EXPECT_EQ(Provider::keycloak("https://sso.example/auth", "acme", "cli", "s", std::nullopt, true).issuer(),
              "https://sso.example/auth/realms/acme");
    EXPECT_EQ(Provider::keycloak("https://sso.example", "acme", "cli").name(), "keycloak");
    EXPECT_EQ(Provider::auth0("acme.eu.auth0.com", "app", std::nullopt, std::nullopt, "https://api").issuer(),
              "https://acme.eu.auth0.com/");
    EXPECT_EQ(Provider::okta("https://acme.okta.com", "", "0oa1").issuer(), "https://acme.okta.com/oauth2/default");
    EXPECT_EQ(Provider::okta("https://acme.okta.com", "aus9", "0oa1").issuer(), "https://acme.okta.com/oauth2/aus9");
    EXPECT_EQ(Provider::okta("https://acme.okta.com/", "org", "0oa1").issuer(), "https://acme.okta.com");
    EXPECT_EQ(Provider::gitlab("", "app").issuer(), "https://gitlab.com");
    EXPECT_EQ(Provider::gitlab("https://git.example/gitlab/", "app").issuer(), "https://git.example/gitlab");
    EXPECT_EQ(Provider::github("id").issuer(), std::nullopt);
    for (auto &[what, make] : std::vector<std::pair<std::string, std::function<void()>>>{
             {"realm", [] { Provider::keycloak("https://sso.example", "", "cli"); }},
             {"Keycloak realm", [] { Provider::keycloak("https://sso.example", "a/b", "cli"); }},
             {"Keycloak base URL", [] { Provider::keycloak("sso.example", "acme", "cli"); }},
             {"Auth0 domain", [] { Provider::auth0("acme.auth0.com/x", "app"); }},
             {"Okta org URL", [] { Provider::okta("http://acme.okta.com", "", "0oa1"); }},
             {"Okta authorization server", [] { Provider::okta("https://acme.okta.com", "a b", "0oa1"); }},
             {"GitLab base URL", [] { Provider::gitlab("ftp://git.example", "app"); }},
         }) {
        auto e = expect_error(make);
        EXPECT_EQ(e.status(), OAK_ERR_INVALID_ARGUMENT) << what;
        EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
}

TEST(Logging, RecordsReachTheHandlerWithoutSecrets) {
    std::mutex lock;
    std::vector<std::string> lines;
    oauthkit::set_log_handler(oauthkit::LogLevel::Info,
                              [&](oauthkit::LogLevel level, const std::string &target, const std::string &message) {
                                  std::lock_guard<std::mutex> guard(lock);
                                  lines.push_back(std::to_string(static_cast<int>(level)) + " " + target + ": " +
                                                  message);
                              });
    Dev dev;
    oauthkit::Store store("memory:");
    Approver approver;
    oauthkit::Flow flow(dev.provider, &store);
    auto result = flow.run_native(approver.opener());
    oauthkit::set_log_handler(oauthkit::LogLevel::Off, {});
    std::string all;
    {
        std::lock_guard<std::mutex> guard(lock);
        for (auto &l : lines) all += l + "\n";
    }
    EXPECT_NE(all.find("3 oauthkit::flow::native: sign-in at oidc started"), std::string::npos) << all;
    EXPECT_NE(all.find("tokens stored under 'dev-user-1'"), std::string::npos) << all;
    EXPECT_EQ(all.find(std::string(result.tokens.access_token().view())), std::string::npos);
    EXPECT_EQ(all.find(std::string(result.tokens.refresh_token()->view())), std::string::npos);
    EXPECT_EQ(all.find("ureq"), std::string::npos);
    size_t before = lines.size();
    oauthkit::Session session(dev.provider, store);
    EXPECT_TRUE(session.logout("dev-user-1"));
    std::lock_guard<std::mutex> guard(lock);
    EXPECT_EQ(lines.size(), before) << "off: no more records";
}
