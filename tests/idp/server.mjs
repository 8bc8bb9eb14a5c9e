// A real OpenID Connect identity provider for the test suite (oidc-provider, certified), on 127.0.0.1 only.
//
// Configuration comes from the environment (tests/idp/provider.py sets it):
//   IDP_PORT         port to listen on, on 127.0.0.1 only (required)
//   IDP_ISSUER       issuer identifier, e.g. http://127.0.0.1:PORT (default: exactly that)
//   IDP_CLIENTS      JSON list of {client_id, client_secret, redirect_uris[, token_endpoint_auth_method,
//                    post_logout_redirect_uris]}; a client may authenticate at the token endpoint with either
//                    client_secret_basic or client_secret_post
//   IDP_USERS_FILE   JSON file {"<sub>": {email, email_verified, name, given_name, family_name,
//                    preferred_username, groups: [...], password}}; re-read on every login and claims lookup
//   IDP_REQUIRE_PKCE "true": every authorization request must carry a S256 code_challenge (default: PKCE is
//                    accepted, and verified when sent, but only public clients must send it)
//
// Prints `IDP READY <issuer>` once listening; exits 0 on SIGTERM/SIGINT. In-memory storage: nothing persists.
// Nothing here reaches any address other than 127.0.0.1 (no remote jwks_uri, request_uri or sector lookups:
// clients are static and carry no such metadata).

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';

function fail(message) {
  process.stderr.write(`IDP ERROR ${message}\n`);
  process.exit(2);
}

const port = Number.parseInt(process.env.IDP_PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) fail('IDP_PORT must be a TCP port number');
const issuer = process.env.IDP_ISSUER || `http://${HOST}:${port}`;
const usersFile = process.env.IDP_USERS_FILE;
if (!usersFile) fail('IDP_USERS_FILE is required');
const requirePkce = ['1', 'true', 'yes'].includes((process.env.IDP_REQUIRE_PKCE ?? '').toLowerCase());

let clientsIn;
try {
  clientsIn = JSON.parse(process.env.IDP_CLIENTS || '[]');
} catch (err) {
  fail(`IDP_CLIENTS is not valid JSON: ${err.message}`);
}
if (!Array.isArray(clientsIn)) fail('IDP_CLIENTS must be a JSON list');

const clients = clientsIn.map(({ client_id, client_secret, redirect_uris, ...rest }) => ({
  client_id,
  client_secret,
  redirect_uris,
  // A plain server-side web application (the Django relying party): code flow only. http:// redirect URIs on
  // 127.0.0.1 are valid for `web` clients using the code flow (oidc-provider refuses them only with implicit).
  application_type: 'web',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...rest,
}));

// ---- users: re-read on every lookup, so a test can change a user's groups between sign-ins ----

function readUsers() {
  return JSON.parse(readFileSync(usersFile, 'utf8'));
}

function findUser(login) {
  const users = readUsers();
  if (Object.hasOwn(users, login)) return [login, users[login]];
  const wanted = String(login).toLowerCase();
  for (const [sub, user] of Object.entries(users)) {
    if ([user.email, user.preferred_username].some((v) => typeof v === 'string' && v.toLowerCase() === wanted)) {
      return [sub, user];
    }
  }
  return [undefined, undefined];
}

function claimsOf(sub, user) {
  const { password, ...claims } = user; // eslint-disable-line no-unused-vars
  return { ...claims, sub };
}

async function findAccount(ctx, sub) {
  if (!Object.hasOwn(readUsers(), sub)) return undefined;
  return {
    accountId: sub,
    // Called whenever an ID token or a userinfo response is made: read the file again here too.
    async claims() {
      const user = readUsers()[sub];
      return user ? claimsOf(sub, user) : { sub };
    },
  };
}

// ---- keys: a fresh RSA key per run for ID token signatures, random cookie-signing keys ----

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `test-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' };

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

const configuration = {
  clients,
  findAccount,
  jwks: { keys: [signingKey] },
  cookies: {
    // Cookies are per host, not per port: the relying party also lives on 127.0.0.1, so keep clear of its names.
    names: { session: '_idp_session', interaction: '_idp_interaction', resume: '_idp_interaction_resume' },
    keys: [randomBytes(32).toString('hex')],
    // No `secure` flag is set here; oidc-provider adds it only when the request itself is https.
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  // By default oidc-provider leaves scope-requested claims out of an ID token issued alongside an access token
  // (they are only at userinfo); the relying party reads them from the ID token, so put them there too.
  conformIdTokenClaims: false,
  pkce: { required: requirePkce ? () => true : (ctx, client) => client.clientAuthMethod === 'none' },
  features: {
    devInteractions: { enabled: false }, // our own login page below
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><title>IdP error</title></head><body><h1>IdP error</h1><pre>${
      esc(JSON.stringify(out, null, 2))}</pre></body></html>`;
  },
  ttl: {
    // Explicit (the defaults print a warning): short lifetimes, this IdP lives for one test run.
    AccessToken: 3600,
    AuthorizationCode: 600,
    IdToken: 3600,
    Interaction: 3600,
    Session: 86400,
    Grant: 86400,
  },
};

let provider;
try {
  provider = new Provider(issuer, configuration);
} catch (err) {
  fail(`bad configuration: ${err.message}`);
}

// ---- interactions: a plain login form; consent is granted automatically ----

function loginPage(uid, { login = '', error = '' } = {}) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - test IdP</title></head>
<body>
  <h1>Test identity provider</h1>
  ${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
  <form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
    <label>Login <input type="text" name="login" value="${esc(login)}" required autofocus></label>
    <label>Password <input type="password" name="password" required></label>
    <button type="submit">Sign in</button>
  </form>
</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Grant what the consent prompt reports missing, as oidc-provider's documented interaction example does.
async function grantConsent(details) {
  const { prompt: { details: missing }, params, session: { accountId } } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  return { consent: details.grantId ? {} : { grantId } };
}

function redirect(ctx, location) {
  ctx.status = 303;
  ctx.set('Location', location);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = '';
}

provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(ctx.path);
  if (!match) return next();
  const [, uid, isLogin] = match;
  ctx.set('Cache-Control', 'no-store');

  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    // e.g. no interaction cookie (another browser, an expired interaction): say so in a readable page.
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><title>IdP error</title></head><body><h1>IdP error</h1><p>${
      esc(err.error_description || err.message)}</p></body></html>`;
    return undefined;
  }
  if (details.uid !== uid) {
    ctx.status = 400;
    ctx.type = 'text';
    ctx.body = 'interaction mismatch';
    return undefined;
  }

  if (!isLogin && ctx.method === 'GET') {
    if (details.prompt.name === 'login') {
      ctx.type = 'html';
      ctx.body = loginPage(uid, { login: details.params.login_hint || '' });
      return undefined;
    }
    if (details.prompt.name === 'consent') {
      return redirect(ctx, await provider.interactionResult(ctx.req, ctx.res, await grantConsent(details),
        { mergeWithLastSubmission: true }));
    }
    ctx.status = 400;
    ctx.type = 'text';
    ctx.body = `unsupported prompt ${details.prompt.name}`;
    return undefined;
  }

  if (isLogin && ctx.method === 'POST') {
    const form = await readForm(ctx.req);
    const login = (form.get('login') || '').trim();
    const [sub, user] = findUser(login);
    if (!sub || typeof user.password !== 'string' || user.password !== (form.get('password') || '')) {
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = loginPage(uid, { login, error: 'Invalid login' });
      return undefined;
    }
    const result = { login: { accountId: sub, remember: false } };
    return redirect(ctx, await provider.interactionResult(ctx.req, ctx.res, result,
      { mergeWithLastSubmission: false }));
  }

  ctx.status = 405;
  ctx.body = '';
  return undefined;
});

// ---- server ----

// oidc-provider validates static client metadata lazily, at a client's first use: do it now, so that a bad
// client fails the start with a readable message instead of failing a sign-in later.
for (const { client_id: clientId } of clients) {
  try {
    await provider.Client.find(clientId);
  } catch (err) {
    fail(`client ${JSON.stringify(clientId)}: ${err.error_description || err.message}`);
  }
}

const server = http.createServer(provider.callback());
server.on('error', (err) => fail(`cannot listen on ${HOST}:${port}: ${err.code || err.message}`));
server.listen(port, HOST, () => {
  process.stdout.write(`IDP READY ${issuer}\n`);
});

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
