// The runtime configuration the stack (or the local server) generates: /config.json, same origin.

const REQUIRED_AUTH = ['authorizeUrl', 'tokenUrl', 'logoutUrl', 'clientId', 'redirectUri'];

/** Check the shape and normalise it; throws an Error naming the first problem. */
export function validateConfig(raw) {
  if (!raw || typeof raw !== 'object') throw new Error('config.json is not a JSON object');
  const problems = [];
  const url = (value, name, schemes) => {
    try {
      const parsed = new URL(value);
      if (!schemes.includes(parsed.protocol)) problems.push(`${name} must use ${schemes.join(' or ')}`);
    } catch {
      problems.push(`${name} is not a URL`);
    }
  };
  if (raw.mode !== 'aws' && raw.mode !== 'local') problems.push('mode must be "aws" or "local"');
  url(raw.apiUrl, 'apiUrl', ['https:', 'http:']);
  url(raw.websocketUrl, 'websocketUrl', ['wss:', 'ws:']);
  const auth = raw.auth ?? {};
  for (const key of REQUIRED_AUTH) {
    if (typeof auth[key] !== 'string' || !auth[key]) problems.push(`auth.${key} is missing`);
  }
  for (const key of ['authorizeUrl', 'tokenUrl', 'logoutUrl', 'redirectUri']) {
    if (typeof auth[key] === 'string' && auth[key]) url(auth[key], `auth.${key}`, ['https:', 'http:']);
  }
  if (problems.length) throw new Error(`config.json: ${problems.join('; ')}`);
  const scopes = Array.isArray(auth.scopes) && auth.scopes.length ? auth.scopes.map(String) : ['openid'];
  return {
    mode: raw.mode,
    apiUrl: raw.apiUrl.replace(/\/+$/, ''),
    websocketUrl: raw.websocketUrl,
    auth: {
      authorizeUrl: auth.authorizeUrl,
      tokenUrl: auth.tokenUrl,
      logoutUrl: auth.logoutUrl,
      clientId: auth.clientId,
      redirectUri: auth.redirectUri,
      scopes,
    },
    adminGroup: typeof raw.adminGroup === 'string' && raw.adminGroup ? raw.adminGroup : 'admin',
    workspaceManagerGroup: typeof raw.workspaceManagerGroup === 'string' && raw.workspaceManagerGroup
      ? raw.workspaceManagerGroup : 'workspace_manager',
    notice: typeof raw.notice === 'string' && raw.notice.trim() ? raw.notice : null,
    // Optional: the embedding models offered when creating a workspace (the API has no list route).
    embeddingModels: Array.isArray(raw.embeddingModels) ? raw.embeddingModels.map(String) : null,
  };
}

export async function loadConfig(fetchImpl = fetch) {
  let response;
  try {
    response = await fetchImpl('/config.json', { cache: 'no-store', credentials: 'same-origin' });
  } catch (error) {
    throw new Error(`could not load /config.json: ${error.message}`);
  }
  if (!response.ok) throw new Error(`could not load /config.json: HTTP ${response.status}`);
  let raw;
  try {
    raw = await response.json();
  } catch {
    throw new Error('/config.json is not valid JSON');
  }
  return validateConfig(raw);
}

export function modeLabel(config) {
  return config.mode === 'local' ? 'Local mode' : 'AWS';
}
