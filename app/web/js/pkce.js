// PKCE (RFC 7636, S256) and the random `state`: Web Crypto only (crypto.getRandomValues, crypto.subtle).

export function base64url(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A random URL-safe string from `byteCount` random bytes (32 bytes -> 43 characters). */
export function randomString(byteCount = 32) {
  const bytes = new Uint8Array(byteCount);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

/** code_challenge = BASE64URL(SHA-256(ASCII(code_verifier))). */
export async function challengeFor(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** A fresh verifier (64 random bytes: 86 characters, within RFC 7636's 43..128), its challenge and a state. */
export async function newPkce() {
  const verifier = randomString(64);
  return { verifier, challenge: await challengeFor(verifier), state: randomString(32) };
}
