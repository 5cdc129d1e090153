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
// Token exchange (RFC 8693, tests/provider_token_exchange.rs): client
// CLIENT_ID-tx (client_secret_basic, secret as above) may use the custom
// grant registered below; see its comment for what it checks. The stats
// list each exchange (tx_requests).
// PAR, private_key_jwt and the JWT bearer grant (h-par,
// tests/provider_par_pkjwt.rs): CLIENT_ID-par (public, native,
// require_pushed_authorization_requests); CLIENT_ID-pkjwt (native,
// token_endpoint_auth_method private_key_jwt with an ES256 and a PS256 key
// generated at start, grants: code, refresh, client credentials, JWT
// bearer; scopes as the cc clients). GET /test/keys hands the test those
// private keys (ES256 as PKCS#8 PEM, PS256 as a private JWK) and a
// "trusted issuer" key (PEM) whose JWT bearer assertions the custom grant
// accepts (RFC 7523 §3: signature, iss, sub, aud = issuer or token
// endpoint, exp, iat, jti single use); the stats list each JWT bearer
// request's outcome (jwt_bearer).
// DPoP (RFC 9449, tests/provider_dpop_oidc.rs): CLIENT_ID-dpop (public,
// `dpop_bound_access_tokens`: token requests without a proof are refused;
// its redirect URIs allow the native flow and deploy mode on any loopback port).
// DPoP proofs may use ES256, EdDSA, RS256 or PS256. Nonces are issued
// (`DPoP-Nonce`) only to requests that carry a proof; POST
// /test/dpop-require-nonce makes every proof need one from then on (off by
// default, so clients that send no proof see no change).
// prints "READY <issuer>" once listening; exits when stdin closes.
import crypto from 'node:crypto';
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';
import * as jose from 'jose';

const clientId = process.argv[2] || 'oauthkit-browser-test';
const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

// h-par: keys for the private_key_jwt client and the JWT bearer issuer
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TRUSTED_ISSUER = 'https://trusted-issuer.test';
const pkjwtEc = await jose.generateKeyPair('ES256', { extractable: true });
const pkjwtRsa = await jose.generateKeyPair('PS256', { extractable: true, modulusLength: 2048 });
const bearerIssuer = await jose.generateKeyPair('ES256', { extractable: true });
const publicJwk = async (pair, kid, alg) => ({ ...(await jose.exportJWK(pair.publicKey)), kid, alg, use: 'sig' });
const testKeys = {
  pkjwt_es256_pem: await jose.exportPKCS8(pkjwtEc.privateKey),
  pkjwt_ps256_jwk: { ...(await jose.exportJWK(pkjwtRsa.privateKey)), kid: 'pkjwt-ps256', alg: 'PS256' },
  bearer_issuer: TRUSTED_ISSUER,
  bearer_issuer_pem: await jose.exportPKCS8(bearerIssuer.privateKey),
};

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
    // h-par: PAR required for this client only (discovery does not say so)
    {
      client_id: `${clientId}-par`,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/auth/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      require_pushed_authorization_requests: true,
    },
    // h-par: private_key_jwt
    {
      client_id: `${clientId}-pkjwt`,
      application_type: 'native',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: {
        keys: [
          await publicJwk(pkjwtEc, 'pkjwt-es256', 'ES256'),
          await publicJwk(pkjwtRsa, 'pkjwt-ps256', 'PS256'),
        ],
      },
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials', JWT_BEARER],
      response_types: ['code'],
      scope: 'openid offline_access api:read api:write',
    },
    {
      // DPoP: tokens of this client are always sender-constrained
      client_id: `${clientId}-dpop`,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/auth/callback'],
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
    // token exchange (RFC 8693)
    {
      client_id: `${clientId}-tx`,
      client_secret: `${clientId}-tx-secret-0123456789abcdef0123456789abcdef`,
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [],
      grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
      response_types: [],
      scope: 'openid api:read api:write',
    },
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
  // token exchange: the actor of a delegated token as RFC 8693 §4.1's
  // `act` claim (set by the grant below; other tokens have none)
  extraTokenClaims: (_ctx, token) => (token.gty === 'token_exchange' && token.act ? { act: token.act } : undefined),
});
provider.proxy = false;

// RFC 8693 token exchange, checked the way §2.1 says: subject_token and
// subject_token_type are required; the only subject and actor type this
// server knows is access_token (an unknown or unsupported type is
// invalid_request), and the token must be one of this provider's active
// access tokens (AccessToken.find), else invalid_grant; an actor_token
// needs its actor_token_type and vice versa. audience may only be
// https://api.example and resource only https://api.example/ or
// https://other.example/ (else invalid_target); scope must be among the
// subject token's scopes (else invalid_scope). requested_token_type
// access_token (the default) issues an opaque access token for the
// subject's account, audience set, actor recorded as `act`; jwt issues an
// HS256 JWT (sub, aud, act) with token_type N_A, as RFC 8693 §2.2.1 allows
// for a token that is not an access token.
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const TT = 'urn:ietf:params:oauth:token-type:';
const jwtKey = crypto.randomBytes(32);
provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
  const p = ctx.oidc.params;
  const body = ctx.oidc.body || {};
  const list = (v) => (v === undefined ? [] : [].concat(v));
  const record = { client: ctx.oidc.client.clientId, subject_token_type: p.subject_token_type || null,
    actor_token_type: p.actor_token_type || null, audience: list(body.audience), resource: list(body.resource),
    scope: p.scope || null, requested_token_type: p.requested_token_type || null };
  stats.tx_requests.push(record);
  const fail = (Err, message) => { record.answer = Err.name; throw new Err(message); };
  if (!p.subject_token) fail(errors.InvalidRequest, 'missing subject_token');
  if (!p.subject_token_type) fail(errors.InvalidRequest, 'missing subject_token_type');
  if (p.subject_token_type !== `${TT}access_token`) fail(errors.InvalidRequest, 'unsupported subject_token_type');
  if (!!p.actor_token !== !!p.actor_token_type) fail(errors.InvalidRequest, 'actor_token and actor_token_type go together');
  if (p.actor_token_type && p.actor_token_type !== `${TT}access_token`) fail(errors.InvalidRequest, 'unsupported actor_token_type');
  const find = async (value) => {
    const t = await provider.AccessToken.find(value);
    return t && !t.isExpired ? t : undefined;
  };
  const subject = await find(p.subject_token);
  if (!subject) fail(errors.InvalidGrant, 'subject_token is not an active access token');
  const actor = p.actor_token ? await find(p.actor_token) : undefined;
  if (p.actor_token && !actor) fail(errors.InvalidGrant, 'actor_token is not an active access token');
  for (const a of record.audience) if (a !== 'https://api.example') fail(errors.InvalidTarget, 'unknown audience');
  for (const r of record.resource) {
    if (r !== 'https://api.example/' && r !== 'https://other.example/') fail(errors.InvalidTarget, 'unknown resource');
  }
  const granted = new Set((subject.scope || '').split(' '));
  const scope = p.scope || subject.scope;
  if (p.scope && !p.scope.split(' ').every((s) => granted.has(s))) fail(errors.InvalidScope, 'scope exceeds the subject token', p.scope);
  const aud = record.audience[0] || record.resource[0];
  const act = actor ? { sub: actor.accountId, client_id: actor.clientId } : undefined;
  const requested = p.requested_token_type || `${TT}access_token`;
  if (requested === `${TT}jwt`) {
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: issuer, sub: subject.accountId, aud, act, iat: now, exp: now + 300 })}`;
    const sig = crypto.createHmac('sha256', jwtKey).update(unsigned).digest('base64url');
    record.answer = 'jwt';
    ctx.body = { access_token: `${unsigned}.${sig}`, issued_token_type: `${TT}jwt`, token_type: 'N_A', expires_in: 300 };
    return;
  }
  if (requested !== `${TT}access_token`) fail(errors.InvalidRequest, 'unsupported requested_token_type');
  const token = new provider.AccessToken({
    accountId: subject.accountId, client: ctx.oidc.client, scope,
    gty: 'token_exchange',
  });
  token.act = act;
  if (aud) token.aud = aud;
  const value = await token.save();
  record.answer = 'access_token';
  ctx.body = { access_token: value, issued_token_type: `${TT}access_token`, token_type: 'Bearer', expires_in: token.expiration, scope };
}, ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'scope', 'audience', 'resource'],
['audience', 'resource']);


// h-par: the JWT bearer grant (RFC 7523 §2.1), checked as §3 says
const seenJtis = new Set();
provider.registerGrantType(JWT_BEARER, async (ctx) => {
  const { assertion, scope } = ctx.oidc.params;
  const refuse = (why) => {
    stats.jwt_bearer.push({ client: ctx.oidc.client?.clientId || null, answer: why });
    throw new errors.InvalidGrant(why);
  };
  if (!assertion) refuse('no assertion');
  let claims;
  try {
    ({ payload: claims } = await jose.jwtVerify(assertion, bearerIssuer.publicKey, {
      algorithms: ['ES256'],
      issuer: TRUSTED_ISSUER,
      audience: [issuer, `${issuer}/token`],
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      maxTokenAge: '10m',
    }));
  } catch (e) {
    refuse(`assertion rejected: ${e.code || e.message}`);
  }
  if (typeof claims.aud !== 'string') refuse('aud must be a single value');
  if (seenJtis.has(claims.jti)) refuse('jti reused');
  seenJtis.add(claims.jti);
  const client = ctx.oidc.client;
  const granted = (scope || '').split(' ').filter((s) => s && client.scope.split(' ').includes(s));
  const grant = new provider.Grant({ accountId: claims.sub, clientId: client.clientId });
  grant.addOIDCScope(granted.join(' '));
  const grantId = await grant.save();
  const token = new provider.AccessToken({
    accountId: claims.sub,
    client,
    grantId,
    gty: 'jwt_bearer',
    scope: granted.join(' ') || undefined,
  });
  const value = await token.save();
  stats.jwt_bearer.push({ client: client.clientId, sub: claims.sub, answer: 'token' });
  ctx.body = {
    access_token: value,
    token_type: 'Bearer',
    expires_in: token.expiration,
    scope: token.scope,
  };
}, ['assertion', 'scope']);

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const stats = { polls: [], early_polls: 0, token_requests: {}, cc_requests: [], tx_requests: [], jwt_bearer: [] };
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
  if (req.url === '/test/keys') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(testKeys));
    return;
  }
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
