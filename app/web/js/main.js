// Entry point: load /config.json, show the mode, finish a sign-in redirect if this is one, then start
// the app or show the sign-in screen.

import { startApp } from './app.js';
import { Auth } from './auth.js';
import { loadConfig } from './config.js';
import { Shell } from './shell.js';
import { renderSignIn } from './views/signin.js';

async function boot() {
  const shell = new Shell(document);
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    shell.fatal(error.message);
    return;
  }
  shell.setMode(config);
  document.body.dataset.mode = config.mode;

  const auth = new Auth(config.auth, {
    adminGroup: config.adminGroup,
    workspaceManagerGroup: config.workspaceManagerGroup,
  });
  let reason = '';
  try {
    const returned = await auth.completeSignIn(window.location);
    if (returned) cleanUrl(returned.returnHash);
  } catch (error) {
    cleanUrl('');
    reason = error.message;
  }
  let app = null;
  auth.on('signedOut', (why) => {
    // A refresh token that no longer works: back to the sign-in screen, saying why.
    app?.stop();
    app = null;
    shell.clearErrors(); // the failures that led here are explained by the reason below
    shell.showSignedOut();
    renderSignIn(shell, auth, why);
  });
  if (!auth.isSignedIn()) {
    renderSignIn(shell, auth, reason);
    return;
  }
  try {
    app = startApp({ config, auth, shell });
  } catch (error) {
    shell.fatal(`the app failed to start: ${error.message}`);
  }
}

/** Drop ?code&state from the address bar (and history) after the exchange. */
function cleanUrl(returnHash) {
  const hash = returnHash && returnHash.startsWith('#/') ? returnHash : '';
  window.history.replaceState(null, '', `${window.location.pathname}${hash}`);
}

boot();
