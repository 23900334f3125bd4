// The signed-in application: API client, live channel, stores, and the hash router that mounts one
// view at a time (each view returns its cleanup: timers, subscriptions).

import { Api } from './api.js';
import { Catalog } from './catalog.js';
import { parseRoute } from './router.js';
import { AnswerStreams } from './streams.js';
import { PushChannel } from './ws.js';
import { mountAdmin } from './views/admin.js';
import { mountChat } from './views/chat.js';
import { notFound } from './views/common.js';
import { mountDocuments } from './views/documents.js';
import { mountSessionList, SessionStore } from './views/sessions.js';
import { UsageWidget } from './views/usage.js';
import { mountWorkspaces } from './views/workspaces.js';

const VIEWS = {
  chat: mountChat,
  workspaces: mountWorkspaces,
  workspace: mountDocuments,
  admin: mountAdmin,
};

export function startApp({ config, auth, shell }) {
  const api = new Api(config.apiUrl, auth);
  const ws = new PushChannel(config.websocketUrl, () => auth.idToken());
  const streams = new AnswerStreams();
  const ctx = {
    config, auth, shell, api, ws, streams,
    user: auth.user(),
    catalog: new Catalog(api),
    sessions: new SessionStore(api, shell),
    usage: new UsageWidget(shell.usage, api, shell),
  };

  shell.showSignedIn(ctx.user, () => {
    ws.stop();
    auth.signOut();
  });
  ws.on('frame', (frame) => streams.handle(frame));
  ws.on('state', (state) => shell.setConnection(state));
  ws.on('failure', (error) => {
    if (error?.code !== 'signed_out') shell.showError(error, 'The live answer channel could not connect');
  });
  // A refreshed token: reconnect, since the server stops pushing to a connection whose token has
  // expired. Not in the middle of an answer (its frames would be lost): wait for it, within reason.
  let reconnectTimer = null;
  auth.on('tokens', function reconnectWhenIdle() {
    clearTimeout(reconnectTimer);
    if (streams.active().length === 0) ws.reconnect();
    else reconnectTimer = setTimeout(reconnectWhenIdle, 5000);
  });
  shell.setConnection(ws.state);
  ws.start();
  mountSessionList(ctx);
  ctx.usage.refresh();

  let cleanup = null;
  let current = null;
  const route = () => {
    const next = parseRoute(location.hash);
    if (next === null) return; // an in-page anchor, not a page
    if (typeof cleanup === 'function') cleanup();
    cleanup = null;
    current = next;
    shell.setActiveNav(next.name);
    const mount = VIEWS[next.name];
    if (mount) cleanup = mount(ctx, next);
    else shell.render(notFound());
  };
  window.addEventListener('hashchange', route);
  route();
  return {
    ctx,
    current: () => current,
    /** Signed out: stop the channel, the router and the current view. */
    stop() {
      window.removeEventListener('hashchange', route);
      if (typeof cleanup === 'function') cleanup();
      cleanup = null;
      clearTimeout(reconnectTimer);
      ws.stop();
    },
  };
}
