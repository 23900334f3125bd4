// Routing, formatting, PKCE, token reading, config checking, API error shapes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { errorFrom, isRetrievalDisabled } from '../js/api.js';
import { validateConfig, modeLabel } from '../js/config.js';
import {
  contentTypeFor, errorText, formatBytes, formatDateTime, fractionUsed, locationLabel, parseIso, processingStatus, titleFrom,
} from '../js/format.js';
import { base64url, challengeFor, newPkce } from '../js/pkce.js';
import { href, parseRoute } from '../js/router.js';
import { decodeJwtPayload, refreshDueAt, tokenSetFrom, userFromClaims } from '../js/tokens.js';
import { storageErrorMessage } from '../js/upload.js';

const SID = '0123456789abcdef0123456789abcdef';
const WID = '12345678-1234-4234-8234-123456789abc';

test('hash routes', () => {
  assert.deepEqual(parseRoute(''), { name: 'chat', sessionId: null });
  assert.deepEqual(parseRoute('#/'), { name: 'chat', sessionId: null });
  assert.deepEqual(parseRoute('#/chat'), { name: 'chat', sessionId: null });
  assert.deepEqual(parseRoute(`#/chat/${SID}`), { name: 'chat', sessionId: SID });
  assert.deepEqual(parseRoute('#/chat/not-an-id'), { name: 'notFound' });
  assert.deepEqual(parseRoute('#/workspaces'), { name: 'workspaces' });
  assert.deepEqual(parseRoute(`#/workspaces/${WID}`), { name: 'workspace', workspaceId: WID });
  assert.deepEqual(parseRoute('#/admin'), { name: 'admin' });
  assert.deepEqual(parseRoute('#/admin/x'), { name: 'notFound' });
  assert.equal(parseRoute('#source-1-2'), null); // an in-page anchor
  assert.equal(href.chat(SID), `#/chat/${SID}`);
  assert.equal(href.workspace(WID), `#/workspaces/${WID}`);
});

test('upload content types follow the extension like the API', () => {
  assert.equal(contentTypeFor('notes.MD', ''), 'text/markdown');
  assert.equal(contentTypeFor('data.csv', 'application/vnd.ms-excel'), 'text/csv');
  assert.equal(contentTypeFor('a.pdf'), 'application/pdf');
  assert.equal(contentTypeFor('archive.zip', 'application/zip'), 'application/zip');
  assert.equal(contentTypeFor('noext'), 'application/octet-stream');
});

test('source locations and other formatting', () => {
  assert.equal(locationLabel({ page: 3 }), 'page 3');
  assert.equal(locationLabel({ sheet: 'Q1', headingPath: ['Intro', 'Setup'] }), 'sheet Q1, Intro › Setup');
  assert.equal(locationLabel({ heading_path: ['A'] }), 'A');
  assert.equal(locationLabel(null), '');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(50 * 1024 * 1024), '50 MB');
  assert.equal(titleFrom('  What is\nthe answer?'), 'What is');
  assert.equal(titleFrom('word '.repeat(30)).endsWith('…'), true);
  assert.ok(titleFrom('word '.repeat(30)).length <= 61);
  assert.equal(titleFrom('   '), 'New chat');
  assert.equal(fractionUsed({ used: 5, limit: 10 }), 0.5);
  assert.equal(fractionUsed({ used: 50, limit: 10 }), 1);
  assert.equal(fractionUsed({ used: 1, limit: 0 }), 0);
});

test('document times: ISO 8601 from the API (Python isoformat) to the local date and time', () => {
  const local = { dateStyle: 'medium', timeStyle: 'short' };
  assert.equal(parseIso('2024-05-01T12:34:56.123456+00:00').toISOString(), '2024-05-01T12:34:56.123Z');
  assert.equal(parseIso('2024-05-01T14:34:56+02:00').toISOString(), '2024-05-01T12:34:56.000Z');
  assert.equal(parseIso('2024-05-01T12:34:56Z').toISOString(), '2024-05-01T12:34:56.000Z');
  assert.equal(parseIso(''), null);
  assert.equal(parseIso('not a date'), null);
  assert.equal(formatDateTime('2024-05-01T12:34:56.123456+00:00'),
    new Date(Date.UTC(2024, 4, 1, 12, 34, 56)).toLocaleString(undefined, local));
  assert.equal(formatDateTime(null, '—'), '—');
  assert.equal(formatDateTime('', '—'), '—');
  assert.equal(formatDateTime(undefined), '');
  assert.equal(formatDateTime('yesterday-ish', '—'), 'yesterday-ish');
});

test("an upload's status line follows its document", () => {
  assert.deepEqual(processingStatus({ status: 'queued' }), { text: 'Uploaded; processing starts shortly.', failed: false });
  assert.deepEqual(processingStatus({ status: 'processing' }), { text: 'Uploaded; processing…', failed: false });
  assert.deepEqual(processingStatus({ status: 'ready', chunkCount: 3 }), { text: 'Ready.', failed: false });
  assert.deepEqual(processingStatus({ status: 'failed', reason: 'the PDF is encrypted' }),
    { text: 'Processing failed: the PDF is encrypted', failed: true });
  assert.deepEqual(processingStatus({ status: 'failed', reason: null }),
    { text: 'Processing failed: no reason was given', failed: true });
  assert.equal(processingStatus(null).text, 'No longer in this workspace.');
});

test('PKCE S256 matches RFC 7636 appendix B', async () => {
  const challenge = await challengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
  assert.equal(challenge, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  const { verifier, state } = await newPkce();
  assert.match(verifier, /^[A-Za-z0-9_-]{43,128}$/);
  assert.match(state, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(verifier, (await newPkce()).verifier);
  assert.equal(base64url(new Uint8Array([251, 255])), '-_8');
});

function jwt(claims) {
  const part = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'k' })}.${part(claims)}.sig`;
}

test('token claims: user, groups, expiry', () => {
  const claims = { sub: 's1', 'cognito:username': 'ana', 'cognito:groups': ['admin', 'workspace_manager'], exp: 2000, name: 'Ä' };
  assert.deepEqual(decodeJwtPayload(jwt(claims)), claims);
  const user = userFromClaims(claims);
  assert.equal(user.name, 'ana');
  assert.equal(user.isAdmin, true);
  assert.equal(user.isManager, true);
  const plain = userFromClaims({ sub: 's2', email: 'u@example.com' });
  assert.deepEqual([plain.name, plain.isAdmin, plain.isManager], ['u@example.com', false, false]);
  const manager = userFromClaims({ sub: 's3', 'cognito:groups': ['workspace_manager'] });
  assert.deepEqual([manager.isAdmin, manager.isManager], [false, true]);
  assert.throws(() => decodeJwtPayload('not-a-jwt'));
});

test('token sets: expiry from exp, refresh keeps the refresh token', () => {
  const now = 1_000_000;
  const first = tokenSetFrom({ id_token: jwt({ exp: 1600 }), access_token: 'a', refresh_token: 'r', expires_in: 3600 }, null, now);
  assert.equal(first.expiresAt, 1_600_000); // the token's own exp is sooner than expires_in
  const second = tokenSetFrom({ id_token: jwt({ exp: 99999 }), expires_in: 60 }, first, now);
  assert.equal(second.refreshToken, 'r');
  assert.equal(second.expiresAt, now + 60_000);
  assert.throws(() => tokenSetFrom({ access_token: 'x' }));
  assert.equal(refreshDueAt({ expiresAt: now + 3_600_000 }, now), now + 3_300_000);
  assert.equal(refreshDueAt({ expiresAt: now + 120_000 }, now), now + 60_000);
});

const CONFIG = {
  mode: 'local', apiUrl: 'http://127.0.0.1:8000/api/', websocketUrl: 'ws://127.0.0.1:8000/ws',
  auth: { authorizeUrl: 'http://127.0.0.1:8000/auth/oauth2/authorize', tokenUrl: 'http://127.0.0.1:8000/auth/oauth2/token',
    logoutUrl: 'http://127.0.0.1:8000/auth/oauth2/logout', clientId: 'local', redirectUri: 'http://127.0.0.1:8000/', scopes: ['openid'] },
  adminGroup: 'admin', workspaceManagerGroup: 'workspace_manager', notice: 'Local mode: answers come from retrieved passages.',
};

test('config.json shape', () => {
  const config = validateConfig(CONFIG);
  assert.equal(config.apiUrl, 'http://127.0.0.1:8000/api');
  assert.equal(config.notice, CONFIG.notice);
  assert.equal(modeLabel(config), 'Local mode');
  assert.equal(modeLabel({ mode: 'aws' }), 'AWS');
  assert.throws(() => validateConfig({ ...CONFIG, mode: 'x' }), /mode/);
  assert.throws(() => validateConfig({ ...CONFIG, websocketUrl: 'https://x' }), /websocketUrl/);
  assert.throws(() => validateConfig({ ...CONFIG, auth: { ...CONFIG.auth, clientId: '' } }), /auth.clientId/);
  assert.equal(validateConfig({ ...CONFIG, notice: null }).notice, null);
});

test('API errors keep the API message and code', () => {
  const e = errorFrom(429, 'Too Many', JSON.stringify({ error: { code: 'quota_exceeded', message: 'daily quota used' } }));
  assert.deepEqual([e.status, e.code, e.message], [429, 'quota_exceeded', 'daily quota used']);
  const gw = errorFrom(401, 'Unauthorized', '{"message":"Unauthorized"}');
  assert.deepEqual([gw.code, gw.message], ['gateway', 'Unauthorized']);
  assert.equal(errorFrom(502, 'Bad Gateway', '').message, 'HTTP 502 Bad Gateway');
  const off = errorFrom(404, '', JSON.stringify({ error: { code: 'retrieval_disabled', message: 'off' } }));
  assert.equal(isRetrievalDisabled(off), true);
  assert.equal(isRetrievalDisabled(errorFrom(404, '', '{"error":{"code":"not_found","message":"x"}}')), false);
});

test('thrown values show their message, else themselves', () => {
  assert.equal(errorText(new Error('boom')), 'boom');
  assert.equal(errorText({ message: 'from the API' }), 'from the API');
  assert.equal(errorText('plain text'), 'plain text');
  assert.equal(errorText(null), 'null');
});

test('storage errors are read from S3 XML as text', () => {
  const xml = '<?xml version="1.0"?><Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum</Message></Error>';
  assert.equal(storageErrorMessage(400, xml), 'EntityTooLarge: Your proposed upload exceeds the maximum');
  assert.equal(storageErrorMessage(500, ''), 'the storage service answered HTTP 500');
});
