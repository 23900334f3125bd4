// Hash routes (#/chat/<id>, #/workspaces, #/workspaces/<id>, #/admin): navigation never needs the
// server's SPA fallback, and in-page anchors (no leading "/") are not routes.

const SESSION_ID = /^[0-9a-f]{32}$/;
const WORKSPACE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The route of a location hash, or null when the hash is an in-page anchor rather than a route. */
export function parseRoute(hash) {
  const raw = String(hash ?? '').replace(/^#/, '');
  if (raw !== '' && !raw.startsWith('/')) return null;
  const parts = raw.split('/').filter(Boolean);
  const [head, id, ...rest] = parts;
  if (rest.length > 0) return { name: 'notFound' };
  if (head === undefined) return { name: 'chat', sessionId: null };
  if (head === 'chat') {
    if (id === undefined) return { name: 'chat', sessionId: null };
    return SESSION_ID.test(id) ? { name: 'chat', sessionId: id } : { name: 'notFound' };
  }
  if (head === 'workspaces') {
    if (id === undefined) return { name: 'workspaces' };
    return WORKSPACE_ID.test(id) ? { name: 'workspace', workspaceId: id } : { name: 'notFound' };
  }
  if (head === 'admin' && id === undefined) return { name: 'admin' };
  return { name: 'notFound' };
}

export const href = {
  chat: (sessionId) => (sessionId ? `#/chat/${sessionId}` : '#/chat'),
  workspaces: () => '#/workspaces',
  workspace: (workspaceId) => `#/workspaces/${workspaceId}`,
  admin: () => '#/admin',
};

export function isSessionId(value) {
  return typeof value === 'string' && SESSION_ID.test(value);
}

export function isWorkspaceId(value) {
  return typeof value === 'string' && WORKSPACE_ID.test(value);
}
