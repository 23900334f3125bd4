// Reading the tokens the browser holds. The browser never trusts these claims for access: the API
// verifies every token itself. The UI reads them only to show the user's name and which pages to offer.

export function decodeJwtPayload(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error('malformed token');
  const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const claims = JSON.parse(new TextDecoder().decode(bytes));
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('malformed token');
  return claims;
}

/** The signed-in user as the UI shows them: name and groups (Cognito's `cognito:groups`). */
export function userFromClaims(claims, { adminGroup = 'admin', workspaceManagerGroup = 'workspace_manager' } = {}) {
  const raw = claims['cognito:groups'];
  const groups = Array.isArray(raw) ? raw.filter((g) => typeof g === 'string') : [];
  const name = claims['cognito:username'] || claims.email || claims.username || claims.sub || 'user';
  const isAdmin = groups.includes(adminGroup);
  return {
    name: String(name),
    sub: String(claims.sub ?? ''),
    groups,
    isAdmin,
    isManager: isAdmin || groups.includes(workspaceManagerGroup),
  };
}

/** The stored token set from a token endpoint answer; a refresh answer keeps the old refresh token. */
export function tokenSetFrom(answer, previous = null, nowMs = Date.now()) {
  if (!answer || typeof answer.id_token !== 'string' || !answer.id_token) {
    throw new Error('the token endpoint returned no id_token');
  }
  const lifetime = Number(answer.expires_in);
  let expiresAt = nowMs + (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : 3600) * 1000;
  const exp = Number(decodeJwtPayload(answer.id_token).exp);
  if (Number.isFinite(exp) && exp > 0) expiresAt = Math.min(expiresAt, exp * 1000);
  return {
    idToken: answer.id_token,
    accessToken: typeof answer.access_token === 'string' ? answer.access_token : '',
    refreshToken: answer.refresh_token || previous?.refreshToken || '',
    expiresAt,
  };
}

/** When to refresh: five minutes before expiry, or halfway through a short-lived token. */
export function refreshDueAt(tokens, nowMs = Date.now()) {
  const remaining = tokens.expiresAt - nowMs;
  return nowMs + Math.max(0, remaining - 5 * 60_000, remaining / 2);
}
