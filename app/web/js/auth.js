// Sign-in with the OAuth 2.0 authorization code flow + PKCE (S256) and `state`, against the Cognito
// hosted UI (or the local identity provider, same semantics). Tokens live in sessionStorage only (gone
// with the tab), are refreshed with the refresh token before they expire, and sign-out clears them.

import { Emitter } from './events.js';
import { newPkce } from './pkce.js';
import { refreshDueAt, tokenSetFrom, userFromClaims, decodeJwtPayload } from './tokens.js';

const TOKENS_KEY = 'chatbot.tokens';
const PENDING_KEY = 'chatbot.signin';
const EARLY_MS = 30_000; // a token this close to expiry is refreshed before use

export class AuthError extends Error {
  constructor(message, code = 'auth') {
    super(message);
    this.name = 'AuthError';
    this.code = code;
  }
}

export class Auth extends Emitter {
  #config;
  #groups;
  #storage;
  #refreshing = null;
  #timer = null;

  constructor(authConfig, groups, storage = sessionStorage) {
    super();
    this.#config = authConfig;
    this.#groups = groups;
    this.#storage = storage;
    this.#schedule();
  }

  tokens() {
    try {
      const stored = JSON.parse(this.#storage.getItem(TOKENS_KEY) ?? 'null');
      return stored && typeof stored.idToken === 'string' ? stored : null;
    } catch {
      return null;
    }
  }

  isSignedIn() {
    const tokens = this.tokens();
    return Boolean(tokens && (tokens.expiresAt > Date.now() || tokens.refreshToken));
  }

  user() {
    const tokens = this.tokens();
    return tokens ? userFromClaims(decodeJwtPayload(tokens.idToken), this.#groups) : null;
  }

  /** Go to the authorization endpoint; `returnHash` is where the user lands after signing in. */
  async signIn(returnHash = '') {
    const { verifier, challenge, state } = await newPkce();
    this.#storage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnHash }));
    const url = new URL(this.#config.authorizeUrl);
    const params = {
      response_type: 'code',
      client_id: this.#config.clientId,
      redirect_uri: this.#config.redirectUri,
      scope: this.#config.scopes.join(' '),
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    window.location.assign(url.href);
  }

  /**
   * On the redirect back (?code&state or ?error): check state, exchange the code, store the tokens.
   * Returns {returnHash} when the URL was a sign-in answer, null otherwise. Throws AuthError.
   */
  async completeSignIn(location) {
    const params = new URLSearchParams(location.search);
    if (!params.has('code') && !params.has('error')) return null;
    const pending = this.#takePending();
    if (params.has('error')) {
      const detail = params.get('error_description') || params.get('error');
      throw new AuthError(`sign-in failed: ${detail}`, 'signin_failed');
    }
    if (!pending || !params.get('state') || params.get('state') !== pending.state) {
      throw new AuthError('sign-in failed: the answer does not match this browser tab (state); try again', 'state');
    }
    const answer = await this.#tokenRequest({
      grant_type: 'authorization_code',
      client_id: this.#config.clientId,
      code: params.get('code'),
      redirect_uri: this.#config.redirectUri,
      code_verifier: pending.verifier,
    });
    this.#store(tokenSetFrom(answer));
    return { returnHash: pending.returnHash || '' };
  }

  /** A valid ID token (refreshed first when it is about to expire). The API verifies this one. */
  async idToken() {
    const tokens = this.tokens();
    if (!tokens) throw new AuthError('not signed in', 'signed_out');
    if (tokens.expiresAt - Date.now() > EARLY_MS) return tokens.idToken;
    return (await this.refresh()).idToken;
  }

  /** Refresh now (one request at a time); signs out when the refresh token is refused. */
  refresh() {
    if (!this.#refreshing) {
      this.#refreshing = this.#doRefresh().finally(() => {
        this.#refreshing = null;
      });
    }
    return this.#refreshing;
  }

  /** Stop refreshing in the background (the page is being torn down). */
  stop() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Forget the tokens and go to the logout endpoint (Cognito: client_id and logout_uri). */
  signOut() {
    this.#clear();
    const url = new URL(this.#config.logoutUrl);
    url.searchParams.set('client_id', this.#config.clientId);
    url.searchParams.set('logout_uri', this.#config.redirectUri);
    window.location.assign(url.href);
  }

  async #doRefresh() {
    const tokens = this.tokens();
    if (!tokens?.refreshToken) {
      this.#expire('your session has expired; sign in again');
      throw new AuthError('your session has expired; sign in again', 'signed_out');
    }
    let answer;
    try {
      answer = await this.#tokenRequest({
        grant_type: 'refresh_token',
        client_id: this.#config.clientId,
        refresh_token: tokens.refreshToken,
      });
    } catch (error) {
      if (error.code === 'network') throw error; // keep the tokens: the next try may work
      this.#expire(`your session has ended (${error.message}); sign in again`);
      throw error;
    }
    const fresh = tokenSetFrom(answer, tokens);
    this.#store(fresh);
    return fresh;
  }

  async #tokenRequest(fields) {
    let response;
    try {
      response = await fetch(this.#config.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
        credentials: 'omit',
      });
    } catch (error) {
      throw new AuthError(`could not reach the sign-in service: ${error.message}`, 'network');
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const detail = body?.error_description || body?.error || `HTTP ${response.status}`;
      throw new AuthError(`the sign-in service refused: ${detail}`, body?.error || 'token_error');
    }
    return body;
  }

  #takePending() {
    const raw = this.#storage.getItem(PENDING_KEY);
    this.#storage.removeItem(PENDING_KEY); // one use only
    try {
      return raw ? JSON.parse(raw) : null;
    } catch {
      return null;
    }
  }

  #store(tokens) {
    this.#storage.setItem(TOKENS_KEY, JSON.stringify(tokens));
    this.#schedule();
    this.emit('tokens', tokens);
  }

  #clear() {
    clearTimeout(this.#timer);
    this.#storage.removeItem(TOKENS_KEY);
    this.#storage.removeItem(PENDING_KEY);
  }

  #expire(reason) {
    this.#clear();
    this.emit('signedOut', reason);
  }

  #schedule() {
    clearTimeout(this.#timer);
    const tokens = this.tokens();
    if (!tokens?.refreshToken) return;
    const delay = Math.max(1000, refreshDueAt(tokens) - Date.now());
    // Refreshing ahead keeps the WebSocket's token (and so its connection) valid while the tab is open.
    this.#timer = setTimeout(() => this.refresh().catch((error) => this.emit('refreshFailed', error)), delay);
  }
}
