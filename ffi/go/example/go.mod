module oauthkit.dev/examples/store

go 1.19

require oauthkit.dev/ffi/go v0.0.0

// The oauthkit Go package from this checkout; in a release tarball,
// <prefix>/share/oauthkit/go (docs/capi.md, "Release artifacts").
replace oauthkit.dev/ffi/go => ../
