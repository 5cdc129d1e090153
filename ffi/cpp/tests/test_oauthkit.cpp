// GoogleTest tests of oauthkit.hpp against the real library.
#include "oauthkit.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
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
