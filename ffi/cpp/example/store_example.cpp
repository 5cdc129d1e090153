// oauthkit from C++ (the RAII wrapper oauthkit.hpp) without a provider or a
// network: check that the loaded library speaks the header's ABI, keep a
// token set in a file store, load it back. Every handle frees itself; a
// failed call throws oauthkit::Error.
//
//   store_example DIR        (the store is DIR/tokens.json)
#include <oauthkit.hpp>

#include <iostream>

int main(int argc, char **argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " DIR\n";
        return 2;
    }
    if (oauthkit::abi_version() < OAK_ABI_VERSION) {
        std::cerr << "liboauthkit " << oauthkit::version() << " has ABI " << oauthkit::abi_version()
                  << ", this program needs " << OAK_ABI_VERSION << "\n";
        return 1;
    }
    try {
        const std::string path = std::string(argv[1]) + "/tokens.json";
        oauthkit::Store store("file:" + path);
        oauthkit::TokenSet tokens("example-access-token");
        tokens.set_refresh_token("example-refresh-token");
        tokens.set_scope("openid profile");
        tokens.set_expires_in(3600);
        store.save("alice", tokens);

        std::optional<oauthkit::TokenSet> loaded = store.load("alice");
        if (!loaded) {
            std::cerr << "the store lost the tokens of alice\n";
            return 1;
        }
        auto refresh = loaded->refresh_token();
        if (loaded->access_token().view() != "example-access-token" || !refresh ||
            refresh->view() != "example-refresh-token" || loaded->scope() != "openid profile") {
            std::cerr << "the loaded token set differs from the saved one\n";
            return 1;
        }
        std::cout << "liboauthkit " << oauthkit::version() << " (ABI " << oauthkit::abi_version()
                  << ", C++): saved and loaded the tokens of alice (scope \"" << loaded->scope() << "\") in a "
                  << store.backend() << " store at " << path << "\n";
        return 0;
    } catch (const oauthkit::Error &e) {
        std::cerr << "oauthkit: " << e.status_name() << ": " << e.what() << "\n";
        return 1;
    }
}
