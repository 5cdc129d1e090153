module oauthkit.dev/ffi/go

go 1.19
