// Command store is oauthkit from Go without a provider or a network: it
// checks that the loaded library speaks the header's ABI, keeps a token set
// in a file store and loads it back.
//
//	store DIR        (the store is DIR/tokens.json)
//
// Build it against an installed prefix (CGO finds the library through
// pkg-config; the rpath lets the program find it at run time):
//
//	PKG_CONFIG_PATH=/opt/oauthkit/lib/pkgconfig \
//	CGO_LDFLAGS="-Wl,-rpath,/opt/oauthkit/lib" go build -o store .
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	oauthkit "oauthkit.dev/ffi/go"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s DIR\n", os.Args[0])
		os.Exit(2)
	}
	if err := run(filepath.Join(os.Args[1], "tokens.json")); err != nil {
		fmt.Fprintln(os.Stderr, "store:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	if oauthkit.ABIVersion() < oauthkit.HeaderABIVersion {
		return fmt.Errorf("liboauthkit %s has ABI %d, this program needs %d",
			oauthkit.Version(), oauthkit.ABIVersion(), oauthkit.HeaderABIVersion)
	}
	store, err := oauthkit.OpenStore("file:" + path)
	if err != nil {
		return err
	}
	defer store.Close()
	tokens, err := oauthkit.NewTokenSet("example-access-token")
	if err != nil {
		return err
	}
	defer tokens.Close()
	refresh := "example-refresh-token"
	if err := tokens.SetRefreshToken(&refresh); err != nil {
		return err
	}
	if err := tokens.SetScopes("openid", "profile"); err != nil {
		return err
	}
	if err := tokens.SetExpiresIn(time.Hour); err != nil {
		return err
	}
	if err := store.Save("alice", tokens); err != nil {
		return err
	}

	loaded, err := store.Load("alice")
	if err != nil {
		return err
	}
	if loaded == nil {
		return fmt.Errorf("the store lost the tokens of alice")
	}
	defer loaded.Close()
	access, err := loaded.AccessToken()
	if err != nil {
		return err
	}
	gotRefresh, ok, err := loaded.RefreshToken()
	if err != nil {
		return err
	}
	scopes, err := loaded.Scopes()
	if err != nil {
		return err
	}
	if access != "example-access-token" || !ok || gotRefresh != refresh || fmt.Sprint(scopes) != "[openid profile]" {
		return fmt.Errorf("the loaded token set differs from the saved one")
	}
	backend, err := store.Backend()
	if err != nil {
		return err
	}
	fmt.Printf("liboauthkit %s (ABI %d, Go): saved and loaded the tokens of alice (scopes %v) in a %s store at %s\n",
		oauthkit.Version(), oauthkit.ABIVersion(), scopes, backend, path)
	return nil
}
