// An independent OpenID provider for the browser test: panva's
// oidc-provider (OpenID Certified) on 127.0.0.1, a free port, an http
// issuer, devInteractions login/consent pages, PKCE required, refresh
// tokens rotated, revocation and introspection on.
//
// usage: node oidc-server.mjs CLIENT_ID
// Clients: CLIENT_ID (public, PKCE), CLIENT_ID-basic and CLIENT_ID-post
// (confidential, client_secret_basic / client_secret_post, secret
// "<client id>-secret-0123456789abcdef0123456789abcdef").
// Device grant (RFC 8628, tests/flow_device.rs): CLIENT_ID-device (public),
// CLIENT_ID-device-slow (answers slow_down instead of the first
// authorization_pending and whenever polled sooner than the interval it
// asked for, as RFC 8628 §3.5 lets a server do; oidc-provider itself never
// sends slow_down), CLIENT_ID-device-short (device codes live 3 s). Device
// authorization responses get `interval: 1` (oidc-provider sends none, and
// the RFC's default of 5 s would make every test wait).
// GET /test/stats: every device poll seen ({client, at_ms, gap_ms,
// required_ms, answer}), the number of polls that came sooner than the
// interval in force, and token requests per grant type.
// Client credentials (tests/session_client_credentials.rs): CLIENT_ID-cc-basic
// and CLIENT_ID-cc-post (client_secret_basic / _post, secret as above,
// scopes api:read api:write); resource indicators: https://api.example/
// (JWT access tokens with that audience, scope api:read api:write) and
// https://other.example/; any other resource is invalid_target. The
// stats list each client_credentials request's client, scope, resource
// and audience (cc_requests).
// DPoP (RFC 9449, tests/provider_dpop_oidc.rs): CLIENT_ID-dpop (public,
// `dpop_bound_access_tokens`: token requests without a proof are refused).
// DPoP proofs may use ES256, EdDSA, RS256 or PS256. Nonces are issued
// (`DPoP-Nonce`) only to requests that carry a proof; POST
// /test/dpop-require-nonce makes every proof need one from then on (off by
// default, so clients that send no proof see no change).
// prints "READY <issuer>" once listening; exits when stdin closes.
import crypto from 'node:crypto';
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';

const clientId = process.argv[2] || 'oauthkit-browser-test';
const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

let dpopRequireNonce = false; // POST /test/dpop-require-nonce
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      // /auth/callback: deploy mode's route (tests/flow_deploy.rs)
      redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/auth/callback'],
      // RP-initiated logout (tests/flow_rp_logout.rs)
      post_logout_redirect_uris: ['http://127.0.0.1/logged-out'],
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
    ...['basic', 'post'].map((kind) => ({
      client_id: `${clientId}-cc-${kind}`,
      client_secret: `${clientId}-cc-${kind}-secret-0123456789abcdef0123456789abcdef`,
      token_endpoint_auth_method: `client_secret_${kind}`,
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      scope: 'api:read api:write',
    })),
    {
      // DPoP: tokens of this client are always sender-constrained
      client_id: `${clientId}-dpop`,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      dpop_bound_access_tokens: true,
    },
    ...['device', 'device-slow', 'device-short'].map((kind) => ({
      client_id: `${clientId}-${kind}`,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: [],
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
    })),
  ],
  ttl: {
    DeviceCode: (_ctx, _code, client) => (client.clientId === `${clientId}-device-short` ? 3 : 600),
  },
  features: {
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Only the client-credentials tests name resources; the code-flow
      // clients never do, so their behaviour is unchanged.
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== 'https://api.example/' && resource !== 'https://other.example/') {
          throw new errors.InvalidTarget();
        }
        return {
          scope: 'api:read api:write',
          audience: resource,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
        };
      },
    },
    devInteractions: { enabled: true },
    // DPoP: only requests with a DPoP proof are affected
    dPoP: { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => dpopRequireNonce },
    revocation: { enabled: true },
    introspection: { enabled: true },
  },
  enabledJWA: { dPoPSigningAlgValues: ['ES256', 'EdDSA', 'RS256', 'PS256'] },
  scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: `${id}@example.test`, email_verified: true, name: `User ${id}` }),
  }),
  rotateRefreshToken: true,
});
provider.proxy = false;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const stats = { polls: [], early_polls: 0, token_requests: {}, cc_requests: [] };
const lastPoll = new Map(); // device_code -> { at, required }
provider.use(async (ctx, next) => {
  await next();
  const params = ctx.oidc?.params;
  if (ctx.path === '/device/auth' && ctx.body?.device_code) {
    ctx.body.interval = 1;
    lastPoll.set(ctx.body.device_code, { at: null, required: 1000 });
  }
  if (ctx.path !== '/token' || !params) return;
  const gty = params.grant_type;
  stats.token_requests[gty] = (stats.token_requests[gty] || 0) + 1;
  if (gty === 'client_credentials') {
    const body = ctx.oidc.body || {};
    stats.cc_requests.push({
      client: ctx.oidc.client?.clientId || null,
      scope: body.scope || null,
      resource: body.resource || null,
      audience: body.audience || null,
      basic: (ctx.headers.authorization || '').startsWith('Basic '),
      answer: ctx.body?.error || 'token',
    });
  }
  if (gty !== DEVICE_GRANT) return;
  const now = Date.now();
  const client = ctx.oidc.client?.clientId;
  const state = lastPoll.get(params.device_code) || { at: null, required: 1000 };
  const gap = state.at === null ? null : now - state.at;
  if (gap !== null && gap < state.required) stats.early_polls += 1;
  const pending = ctx.body?.error === 'authorization_pending';
  if (client === `${clientId}-device-slow` && pending && (state.at === null || gap < state.required)) {
    state.required += 5000;
    ctx.body = { error: 'slow_down', error_description: 'polling too fast' };
  }
  stats.polls.push({ client, at_ms: now, gap_ms: gap, required_ms: state.required, answer: ctx.body?.error || 'tokens' });
  state.at = now;
  lastPoll.set(params.device_code, state);
});

const handle = provider.callback();
server.on('request', (req, res) => {
  if (req.url === '/test/dpop-require-nonce' && req.method === 'POST') {
    dpopRequireNonce = true;
    res.end('ok');
    return;
  }
  if (req.url === '/test/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats));
    return;
  }
  handle(req, res);
});
console.log(`READY ${issuer}`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
