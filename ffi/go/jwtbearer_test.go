package oauthkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// The JWT bearer grant (RFC 7523 §2.1) at oidc-provider, whose test server
// (tests/browser/oidc-server.mjs) registers the grant for the
// private_key_jwt client and trusts one issuer's ES256 key, handed out at
// GET /test/keys with the client's own key. As the Rust test
// jwt_bearer_grant_with_assertions_oauthkit_signs.

type testKeys struct {
	ClientPEM string `json:"pkjwt_es256_pem"`
	Issuer    string `json:"bearer_issuer"`
	IssuerPEM string `json:"bearer_issuer_pem"`
}

func (o *oidcProvider) keys(t *testing.T) testKeys {
	t.Helper()
	resp, err := http.Get(o.issuer + "/test/keys")
	mustNoErr(t, err)
	defer resp.Body.Close()
	var k testKeys
	mustNoErr(t, json.NewDecoder(resp.Body).Decode(&k))
	if k.ClientPEM == "" || k.IssuerPEM == "" || k.Issuer == "" {
		t.Fatalf("GET /test/keys: %+v", k)
	}
	return k
}

// jwtBearerOutcomes lists the provider's answer to each JWT bearer request.
func (o *oidcProvider) jwtBearerOutcomes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range o.stats(t)["jwt_bearer"].([]any) {
		out = append(out, r.(map[string]any)["answer"].(string))
	}
	return out
}

// pkjwtProvider is the private_key_jwt client through the OAUTHKIT_*
// settings (the environment, restored when the test ends).
func pkjwtProvider(t *testing.T, idp *oidcProvider, clientPEM string) *Provider {
	t.Helper()
	id, _ := idp.client("pkjwt")
	// no OAUTHKIT_* setting of the machine running the test gets in
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "OAUTHKIT_") {
			t.Setenv(name, "")
		}
	}
	for name, value := range map[string]string{
		"OAUTHKIT_PROVIDER":        "oidc",
		"OAUTHKIT_ISSUER_URL":      idp.issuer,
		"OAUTHKIT_CLIENT_ID":       id,
		"OAUTHKIT_SCOPES":          "openid api:read",
		"OAUTHKIT_PRIVATE_KEY":     clientPEM,
		"OAUTHKIT_PRIVATE_KEY_ALG": "ES256",
		"OAUTHKIT_PRIVATE_KEY_KID": "pkjwt-es256",
	} {
		t.Setenv(name, value)
	}
	p, err := NewProviderFromEnv()
	mustNoErr(t, err)
	t.Cleanup(p.Close)
	return p
}

// signES256 signs a JWT with Go's crypto, independently of oauthkit.
func signES256(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		mustNoErr(t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(map[string]string{"alg": "ES256", "typ": "JWT"}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	mustNoErr(t, err)
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func parseECKey(t *testing.T, text string) *ecdsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		t.Fatal("not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	mustNoErr(t, err)
	return k.(*ecdsa.PrivateKey)
}

func newECKeyPEM(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustNoErr(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	mustNoErr(t, err)
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func claimsFor(issuer, subject, audience string) map[string]any {
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	now := time.Now().Unix()
	return map[string]any{"iss": issuer, "sub": subject, "aud": audience, "iat": now, "exp": now + 300,
		"jti": hex.EncodeToString(jti)}
}

// secretFree fails the test when msg holds the secret or any base64 line
// of it (a PEM body).
func secretFree(t *testing.T, label, msg string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		parts := append([]string{s}, strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '.' })...)
		for _, p := range parts {
			if len(p) >= 16 && !strings.HasPrefix(p, "-----") && strings.Contains(msg, p) {
				t.Fatalf("%s: the error holds a secret: %s", label, msg)
			}
		}
	}
}

func TestJWTBearerGrant(t *testing.T) {
	idp := startOIDCProvider(t)
	k := idp.keys(t)
	provider := pkjwtProvider(t, idp, k.ClientPEM)
	signed := JWTBearer{Sign: &JWTBearerAssertion{Key: k.IssuerPEM, Alg: "ES256", Issuer: k.Issuer, Subject: "user-42"}}

	// oauthkit signs a fresh assertion (new jti) each time: both accepted,
	// the tokens are the subject's
	for i := 0; i < 2; i++ {
		tokens, err := provider.RequestJWTBearer(signed)
		mustNoErr(t, err)
		if has, _ := tokens.HasScope("api:read"); !has {
			s, _ := tokens.Scopes()
			t.Fatalf("scopes %v", s)
		}
		at, _ := tokens.AccessToken()
		info, err := provider.UserInfoJSON(at)
		mustNoErr(t, err)
		var claims map[string]any
		mustNoErr(t, json.Unmarshal([]byte(info), &claims))
		if claims["sub"] != "user-42" {
			t.Fatalf("userinfo %s", info)
		}
		tokens.Close()
	}
	// the key's algorithm worked out from the key, the audience given
	// (the token endpoint)
	tokens, err := provider.RequestJWTBearer(JWTBearer{
		Sign:   &JWTBearerAssertion{Key: k.IssuerPEM, Issuer: k.Issuer, Subject: "user-7", Audience: idp.issuer + "/token"},
		Scopes: "openid",
	})
	mustNoErr(t, err)
	tokens.Close()

	// an assertion signed by Go's crypto, given as a string
	trusted := parseECKey(t, k.IssuerPEM)
	given := signES256(t, trusted, claimsFor(k.Issuer, "user-42", idp.issuer))
	tokens, err = provider.RequestJWTBearer(JWTBearer{Assertion: given, Scopes: "openid"})
	mustNoErr(t, err)
	if tt, _ := tokens.TokenType(); tt != "Bearer" {
		t.Fatalf("token type %q", tt)
	}
	tokens.Close()
	// ...which is single use (jti)
	_, err = provider.RequestJWTBearer(JWTBearer{Assertion: given})
	if !errors.Is(err, ErrInvalidGrant) {
		t.Fatalf("jti reused: %v", err)
	}
	secretFree(t, "jti reused", err.Error(), given)

	// refusals: typed, without the key or the assertion
	stranger, strangerPEM := newECKeyPEM(t)
	for _, c := range []struct {
		label string
		req   JWTBearer
	}{
		{"unknown key", JWTBearer{Sign: &JWTBearerAssertion{Key: strangerPEM, Issuer: k.Issuer, Subject: "user-42"}}},
		{"wrong issuer", JWTBearer{Sign: &JWTBearerAssertion{Key: k.IssuerPEM, Issuer: "https://evil.example", Subject: "user-42"}}},
		{"wrong audience", JWTBearer{Sign: &JWTBearerAssertion{Key: k.IssuerPEM, Issuer: k.Issuer, Subject: "user-42",
			Audience: "https://other.example"}}},
		{"given, unknown key", JWTBearer{Assertion: signES256(t, stranger, claimsFor(k.Issuer, "user-42", idp.issuer))}},
		{"given, wrong issuer", JWTBearer{Assertion: signES256(t, trusted, claimsFor("https://evil.example", "user-42", idp.issuer))}},
	} {
		_, err := provider.RequestJWTBearer(c.req)
		if !errors.Is(err, ErrInvalidGrant) {
			t.Fatalf("%s: %v", c.label, err)
		}
		secretFree(t, c.label, err.Error(), c.req.Assertion, k.IssuerPEM, strangerPEM, k.ClientPEM)
	}
	outcomes := idp.jwtBearerOutcomes(t)
	want := []string{"token", "token", "token", "token", "jti reused"}
	if len(outcomes) != len(want)+5 || strings.Join(outcomes[:5], ",") != strings.Join(want, ",") {
		t.Fatalf("the provider answered %q", outcomes)
	}
	for _, o := range outcomes[5:] {
		if !strings.HasPrefix(o, "assertion rejected") {
			t.Fatalf("the provider answered %q", outcomes)
		}
	}

	// refused before any request: both or neither of Assertion and Sign, a
	// NUL, a malformed assertion or key (never echoed)
	badKey := "-----BEGIN PRIVATE KEY-----\nc2VjcmV0S2V5Qnl0ZXNfbm90X2Ffa2V5\n-----END PRIVATE KEY-----\n"
	for _, c := range []struct {
		label string
		req   JWTBearer
	}{
		{"neither", JWTBearer{Scopes: "openid"}},
		{"both", JWTBearer{Assertion: given, Sign: signed.Sign}},
		{"NUL in the assertion", JWTBearer{Assertion: "a.b\x00.c"}},
		{"NUL in the subject", JWTBearer{Sign: &JWTBearerAssertion{Key: k.IssuerPEM, Issuer: k.Issuer, Subject: "u\x00"}}},
		{"not a JWT", JWTBearer{Assertion: "not-a-jwt-c2VjcmV0QXNzZXJ0aW9u"}},
		{"not a key", JWTBearer{Sign: &JWTBearerAssertion{Key: badKey, Issuer: k.Issuer, Subject: "user-42"}}},
		{"no subject", JWTBearer{Sign: &JWTBearerAssertion{Key: k.IssuerPEM, Issuer: k.Issuer}}},
		{"unknown alg", JWTBearer{Sign: &JWTBearerAssertion{Key: k.IssuerPEM, Alg: "none", Issuer: k.Issuer, Subject: "u"}}},
	} {
		_, err := provider.RequestJWTBearer(c.req)
		if !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("%s: %v", c.label, err)
		}
		secretFree(t, c.label, err.Error(), c.req.Assertion, badKey, k.IssuerPEM, given)
	}
	if n := len(idp.jwtBearerOutcomes(t)); n != len(outcomes) {
		t.Fatalf("%d JWT bearer requests reached the provider, want %d", n, len(outcomes))
	}
}
