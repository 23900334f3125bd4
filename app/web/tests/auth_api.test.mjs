// Sign-in completion, refresh and the API client against a fake fetch (no browser needed).
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { Api, ApiError } from '../js/api.js';
import { Auth } from '../js/auth.js';

class MemoryStorage {
  #items = new Map();
  getItem(key) { return this.#items.has(key) ? this.#items.get(key) : null; }
  setItem(key, value) { this.#items.set(key, String(value)); }
  removeItem(key) { this.#items.delete(key); }
}

const AUTH = {
  authorizeUrl: 'https://auth.example/oauth2/authorize', tokenUrl: 'https://auth.example/oauth2/token',
  logoutUrl: 'https://auth.example/logout', clientId: 'client-1', redirectUri: 'https://app.example/', scopes: ['openid'],
};
const jwt = (claims) => ['h', Buffer.from(JSON.stringify(claims)).toString('base64url'), 's'].join('.');
const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; });

function fakeFetch(handler) {
  const calls = [];
  globalThis.fetch = async (url, init = {}) => {
    calls.push({ url: String(url), init });
    const { status = 200, body = null } = await handler(String(url), init);
    return new Response(body === null ? null : JSON.stringify(body), { status });
  };
  return calls;
}

test('completeSignIn checks state, exchanges the code with the verifier, and stores the tokens', async () => {
  const storage = new MemoryStorage();
  storage.setItem('chatbot.signin', JSON.stringify({ verifier: 'v'.repeat(50), state: 'st', returnHash: '#/admin' }));
  const idToken = jwt({ sub: 's', 'cognito:username': 'ana', 'cognito:groups': ['admin'], exp: Math.floor(Date.now() / 1000) + 3600 });
  const calls = fakeFetch(() => ({ body: { id_token: idToken, access_token: 'a', refresh_token: 'r', expires_in: 3600 } }));
  const auth = new Auth(AUTH, {}, storage);
  assert.equal(await auth.completeSignIn({ search: '' }), null);
  const result = await auth.completeSignIn({ search: '?code=c1&state=st' });
  assert.deepEqual(result, { returnHash: '#/admin' });
  const form = new URLSearchParams(calls[0].init.body);
  assert.equal(calls[0].url, AUTH.tokenUrl);
  assert.deepEqual(Object.fromEntries(form), {
    grant_type: 'authorization_code', client_id: 'client-1', code: 'c1', redirect_uri: AUTH.redirectUri, code_verifier: 'v'.repeat(50),
  });
  assert.equal(await auth.idToken(), idToken);
  assert.equal(auth.user().isAdmin, true);
  assert.equal(storage.getItem('chatbot.signin'), null); // one use only
  auth.stop();
});

test('a forged state or an error answer is refused and nothing is exchanged', async () => {
  const storage = new MemoryStorage();
  storage.setItem('chatbot.signin', JSON.stringify({ verifier: 'v', state: 'good' }));
  const calls = fakeFetch(() => ({ body: {} }));
  const auth = new Auth(AUTH, {}, storage);
  await assert.rejects(auth.completeSignIn({ search: '?code=c&state=evil' }), /state/);
  await assert.rejects(auth.completeSignIn({ search: '?code=c&state=good' }), /state/); // the pending state is gone
  await assert.rejects(auth.completeSignIn({ search: '?error=access_denied&error_description=nope' }), /nope/);
  assert.equal(calls.length, 0);
  assert.equal(auth.tokens(), null);
});

test('an expiring token is refreshed once; a refused refresh signs out', async () => {
  const storage = new MemoryStorage();
  const old = jwt({ sub: 's', exp: 1 });
  storage.setItem('chatbot.tokens', JSON.stringify({ idToken: old, refreshToken: 'r1', expiresAt: Date.now() + 1000 }));
  const fresh = jwt({ sub: 's', exp: Math.floor(Date.now() / 1000) + 3600 });
  let refuse = false;
  const calls = fakeFetch(() => (refuse ? { status: 400, body: { error: 'invalid_grant' } } : { body: { id_token: fresh, expires_in: 3600 } }));
  const auth = new Auth(AUTH, {}, storage);
  const [a, b] = await Promise.all([auth.idToken(), auth.idToken()]);
  assert.equal(a, fresh);
  assert.equal(b, fresh);
  assert.equal(calls.length, 1);
  assert.equal(new URLSearchParams(calls[0].init.body).get('grant_type'), 'refresh_token');
  assert.equal(auth.tokens().refreshToken, 'r1');
  refuse = true;
  const reasons = [];
  auth.on('signedOut', (why) => reasons.push(why));
  await assert.rejects(auth.refresh(), /invalid_grant/);
  assert.equal(auth.tokens(), null);
  assert.equal(reasons.length, 1);
  auth.stop();
});

test('the API client sends the ID token, retries once after a 401, and surfaces API errors', async () => {
  let token = 'tok-1';
  let refreshed = 0;
  const auth = { idToken: async () => token, refresh: async () => { refreshed += 1; token = 'tok-2'; } };
  const calls = fakeFetch((url, init) => {
    if (init.headers.Authorization === 'tok-1') return { status: 401, body: { message: 'Unauthorized' } };
    if (url.endsWith('/messages')) return { status: 429, body: { error: { code: 'quota_exceeded', message: 'used up' } } };
    if (init.method === 'DELETE') return { status: 204 };
    return { body: { sessions: [{ sessionId: 'x' }] } };
  });
  const api = new Api('https://api.example/api', auth);
  assert.deepEqual(await api.listSessions(), [{ sessionId: 'x' }]);
  assert.equal(refreshed, 1);
  assert.equal(calls[1].url, 'https://api.example/api/sessions');
  assert.equal(await api.deleteSession('a/b'), null);
  assert.equal(calls[2].url, 'https://api.example/api/sessions/a%2Fb');
  const error = await api.sendMessage('s1', 'hi', null).catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.deepEqual([error.status, error.code, error.message], [429, 'quota_exceeded', 'used up']);
  assert.deepEqual(JSON.parse(calls.at(-1).init.body), { text: 'hi' }); // no modelId when none is picked
});
