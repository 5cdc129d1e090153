package oauthkit

// The JWT bearer grant (RFC 7523 §2.1): tokens for the subject of a signed
// assertion, one the caller has or one oauthkit signs.

/*
#include <stdlib.h>
#include <oauthkit.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// JWTBearerAssertion is an assertion oauthkit signs: each request signs a
// fresh one (new jti, valid 5 minutes).
type JWTBearerAssertion struct {
	// Key is a PEM private key or a private JWK (a secret: it never
	// appears in an error).
	Key string
	// Alg is the key's algorithm (RS256, PS256, ES256, EdDSA); "": worked
	// out from the key.
	Alg string
	// KID is the JWS header's kid; "": none.
	KID string
	// Issuer and Subject are the assertion's iss and sub (required).
	Issuer  string
	Subject string
	// Audience is the assertion's aud; "": the provider's issuer, else its
	// token endpoint.
	Audience string
}

// JWTBearer is an RFC 7523 §2.1 request: exactly one of Assertion (a
// signed JWT the caller has) and Sign (oauthkit signs one).
type JWTBearer struct {
	// Assertion is a signed JWT (a secret: it never appears in an error).
	Assertion string
	Sign      *JWTBearerAssertion
	// Scopes separated by spaces; "": the provider's.
	Scopes string
}

// RequestJWTBearer trades the request's assertion for tokens at the
// provider's token endpoint, with the provider's client authentication
// (a client secret or, through the OAUTHKIT_PRIVATE_KEY setting,
// private_key_jwt). The provider's refusal is ErrInvalidGrant (a bad
// signature, issuer, audience, a reused jti) or ErrOAuth; a malformed
// assertion or key, or a request with both or neither of Assertion and
// Sign, is ErrInvalidArgument before any request.
//
//	tokens, err := provider.RequestJWTBearer(oauthkit.JWTBearer{
//		Sign:   &oauthkit.JWTBearerAssertion{Key: pem, Issuer: "https://issuer.example", Subject: "user-42"},
//		Scopes: "api:read",
//	})
//	if errors.Is(err, oauthkit.ErrInvalidGrant) { ... }
func (p *Provider) RequestJWTBearer(req JWTBearer) (*TokenSet, error) {
	if (req.Assertion == "") == (req.Sign == nil) {
		return nil, &Error{Code: CodeInvalidArgument,
			Message: "invalid argument: a JWT bearer request needs exactly one of Assertion and Sign"}
	}
	var a cArgs
	defer a.free()
	scopes, err := a.opt(req.Scopes, "scopes")
	if err != nil {
		return nil, err
	}
	var tokens *C.OakTokenSet
	if req.Sign == nil {
		assertion, err := a.str(req.Assertion, "assertion")
		if err != nil {
			return nil, err
		}
		defer zeroC(assertion, len(req.Assertion))
		err = call(func() C.OakStatus { return C.oak_provider_jwt_bearer(p.raw, assertion, scopes, &tokens) })
		runtime.KeepAlive(p)
		if err != nil {
			return nil, err
		}
		return adoptTokenSet(tokens), nil
	}
	s := req.Sign
	key, err := a.str(s.Key, "key")
	if err != nil {
		return nil, err
	}
	defer zeroC(key, len(s.Key))
	args := make([]*C.char, 5)
	for i, v := range []struct {
		value, name string
		required    bool
	}{
		{s.Alg, "alg", false}, {s.KID, "kid", false}, {s.Issuer, "issuer", true},
		{s.Subject, "subject", true}, {s.Audience, "audience", false},
	} {
		if v.required {
			args[i], err = a.str(v.value, v.name)
		} else {
			args[i], err = a.opt(v.value, v.name)
		}
		if err != nil {
			return nil, err
		}
	}
	err = call(func() C.OakStatus {
		return C.oak_provider_jwt_bearer_signed(p.raw, key, args[0], args[1], args[2], args[3], args[4], scopes, &tokens)
	})
	runtime.KeepAlive(p)
	if err != nil {
		return nil, err
	}
	return adoptTokenSet(tokens), nil
}

// zeroC overwrites the n bytes of a C copy of a secret before it is freed.
func zeroC(p *C.char, n int) {
	b := unsafe.Slice((*byte)(unsafe.Pointer(p)), n)
	for i := range b {
		b[i] = 0
	}
}
