// A FAPI 2.0 authorization server for the security-profile tests
// (tests/provider_fapi2.rs): panva's oidc-provider with `features.fapi`
// profile '2.0' in its own process, so the clients of oidc-server.mjs keep
// their behaviour. PAR is required for every client, DPoP is on, ID tokens
// are signed with ES256 only (a key made at start), client authentication
// is private_key_jwt only.
//
// usage: node fapi-server.mjs CLIENT_ID [PAR_TTL_SECONDS]
// (PAR_TTL_SECONDS: the pushed requests' lifetime, their expires_in;
// default 60)
// Client: CLIENT_ID-fapi (native, private_key_jwt with an ES256 key made
// at start, dpop_bound_access_tokens: every token request needs a DPoP
// proof, as FAPI 2.0 wants sender-constrained tokens). GET /test/keys
// hands the test that private key (PKCS#8 PEM, kid "fapi-es256"); GET
// /test/errors the details of the token endpoint's errors (which its
// answers leave out), e.g. "DPoP proof JWT not provided".
// prints "READY <issuer>" once listening; exits when stdin closes.
import http from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const clientId = process.argv[2] || 'oauthkit-browser-test';
const parTtl = Number(process.argv[3] || 60);
const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const clientKey = await jose.generateKeyPair('ES256', { extractable: true });
const signingKey = await jose.generateKeyPair('ES256', { extractable: true });
const testKeys = { fapi_es256_pem: await jose.exportPKCS8(clientKey.privateKey) };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: `${clientId}-fapi`,
      application_type: 'native',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [{ ...(await jose.exportJWK(clientKey.publicKey)), kid: 'fapi-es256', alg: 'ES256', use: 'sig' }] },
      // the native flow's and deploy mode's callbacks, on any loopback port
      redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/auth/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      dpop_bound_access_tokens: true,
    },
  ],
  jwks: { keys: [{ ...(await jose.exportJWK(signingKey.privateKey)), kid: 'idp-es256', alg: 'ES256', use: 'sig' }] },
  enabledJWA: {
    idTokenSigningAlgValues: ['ES256'],
    clientAuthSigningAlgValues: ['ES256', 'PS256', 'EdDSA'],
  },
  clientAuthMethods: ['private_key_jwt'],
  features: {
    fapi: { enabled: true, profile: '2.0' },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
    dPoP: { enabled: true },
    devInteractions: { enabled: true },
    revocation: { enabled: true },
  },
  scopes: ['openid', 'offline_access'],
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  rotateRefreshToken: true,
});
// oidc-provider fixes a pushed request's lifetime at 60 s (shorter only
// for a signed request object's exp): a shorter PAR_TTL_SECONDS shortens
// both what the PAR endpoint answers (expires_in) and how long the stored
// request lives, as a provider configured that way would.
if (parTtl < 60) {
  const { prototype } = provider.PushedAuthorizationRequest;
  const save = prototype.save;
  prototype.save = function saveShort(ttl) {
    return save.call(this, Math.min(ttl, parTtl));
  };
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.body && typeof ctx.body === 'object' && ctx.body.request_uri && ctx.body.expires_in) {
      ctx.body.expires_in = Math.min(ctx.body.expires_in, parTtl);
    }
  });
}
provider.proxy = false;
const grantErrors = [];
provider.on('grant.error', (_ctx, err) => grantErrors.push(err.error_detail || err.message));

const handle = provider.callback();
server.on('request', (req, res) => {
  if (req.url === '/test/errors') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(grantErrors));
    return;
  }
  if (req.url === '/test/keys') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(testKeys));
    return;
  }
  handle(req, res);
});
console.log(`READY ${issuer}`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
