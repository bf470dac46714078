// A real OpenID Connect provider for Concord's SSO tests: panva's oidc-provider (OpenID Certified),
// on loopback over HTTP, with one confidential client and users who carry a "groups" claim.
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json: {"port": 0, "client": {"client_id", "client_secret", "redirect_uris": [...]},
//               "users": {"alice": {"password", "email", "name", "groups": [...]}}}
// It prints one line "listening http://127.0.0.1:PORT" once it serves. The sign-in page at
// /interaction/UID is ours (a username and password form, checked against the users above); consent is
// given at once for the scopes the client asked for. Everything else is the library's. The users are read
// from CONFIG.json at each sign-in.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import querystring from 'node:querystring';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
// Read again at every sign-in: a test changes a user's groups between two sign-ins, as an IdP admin would.
function readUsers() {
  return JSON.parse(fs.readFileSync(process.argv[2], 'utf8')).users;
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, error) {
  return `<!doctype html><html lang="en"><head><title>Test IdP sign-in</title></head><body>
<h1>Test IdP</h1>${error ? `<p class="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="username">Username</label><input id="username" name="username">
<label for="password">Password</label><input id="password" name="password" type="password">
<button type="submit">Sign in</button></form></body></html>`;
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(querystring.parse(body)));
    req.on('error', reject);
  });
}

async function start() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(config.port || 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [{
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      ...config.client,
    }],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const user = readUsers()[sub];
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub, email: user.email, email_verified: true, name: user.name, preferred_username: sub,
            groups: user.groups || [],
          };
        },
      };
    },
  });
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    const match = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
    if (!match) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        if (req.method === 'POST' && match[2]) {
          const form = await readForm(req);
          const user = readUsers()[form.username];
          if (!user || user.password !== form.password) {
            res.writeHead(200, { 'Content-Type': 'text/html' });
            return res.end(loginPage(details.uid, 'Wrong username or password'));
          }
          return provider.interactionFinished(req, res, { login: { accountId: form.username } },
            { mergeWithLastSubmission: false });
        }
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return res.end(loginPage(details.uid, ''));
      }
      // consent: grant what the client asked for
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      if (details.prompt.details.missingOIDCScope) grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
      if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (err) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      return res.end(`interaction failed: ${err.message}`);
    }
  });
  process.stdout.write(`listening ${issuer}\n`);
}

start().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
