// An independent OpenID provider for the browser test: panva's
// oidc-provider (OpenID Certified) on 127.0.0.1, a free port, an http
// issuer, devInteractions login/consent pages, PKCE required, refresh
// tokens rotated, revocation and introspection on.
//
// usage: node oidc-server.mjs CLIENT_ID
// Clients: CLIENT_ID (public, PKCE), CLIENT_ID-basic and CLIENT_ID-post
// (confidential, client_secret_basic / client_secret_post, secret
// "<client id>-secret-0123456789abcdef0123456789abcdef").
// prints "READY <issuer>" once listening; exits when stdin closes.
import http from 'node:http';
import Provider from 'oidc-provider';

const clientId = process.argv[2] || 'oauthkit-browser-test';
const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      // /auth/callback: deploy mode's route (tests/flow_deploy.rs)
      redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/auth/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    ...['basic', 'post'].map((kind) => ({
      client_id: `${clientId}-${kind}`,
      client_secret: `${clientId}-${kind}-secret-0123456789abcdef0123456789abcdef`,
      application_type: 'native',
      token_endpoint_auth_method: `client_secret_${kind}`,
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    })),
  ],
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: `${id}@example.test`, email_verified: true, name: `User ${id}` }),
  }),
  rotateRefreshToken: true,
});
provider.proxy = false;
server.on('request', provider.callback());
console.log(`READY ${issuer}`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
