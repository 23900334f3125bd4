// The REST API client. Every call sends the ID token as `Authorization: <token>` (what API Gateway's
// Cognito authorizer and the rest function verify) and turns error answers into ApiError with the API's
// own code and message, so the views can show exactly what the server said.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** An ApiError from a non-2xx answer: {"error": {code, message}}, API Gateway's {"message"}, or text. */
export function errorFrom(status, statusText, bodyText) {
  let body = null;
  try {
    body = bodyText ? JSON.parse(bodyText) : null;
  } catch {
    body = null;
  }
  const detail = body?.error;
  if (detail && typeof detail === 'object' && typeof detail.message === 'string') {
    return new ApiError(status, String(detail.code ?? 'error'), detail.message);
  }
  if (body && typeof body.message === 'string') return new ApiError(status, 'gateway', body.message);
  const text = String(bodyText ?? '').trim().slice(0, 300);
  return new ApiError(status, 'http', text || `HTTP ${status} ${statusText ?? ''}`.trim());
}

const enc = encodeURIComponent;

export class Api {
  #base;
  #auth;

  constructor(baseUrl, auth) {
    this.#base = baseUrl;
    this.#auth = auth;
  }

  async request(method, path, body, retried = false) {
    const token = await this.#auth.idToken();
    const headers = { Authorization: token };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(this.#base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, 'network', `could not reach the API (${error.message})`);
    }
    if (response.status === 401 && !retried) {
      await this.#auth.refresh(); // an expired or revoked token: one refresh, one retry
      return this.request(method, path, body, true);
    }
    const text = await response.text();
    if (!response.ok) throw errorFrom(response.status, response.statusText, text);
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'bad_response', 'the API answered with something that is not JSON');
    }
  }

  listSessions() { return this.request('GET', '/sessions').then((r) => r.sessions); }
  createSession(title, workspaceId) {
    const body = { title };
    if (workspaceId) body.workspaceId = workspaceId;
    return this.request('POST', '/sessions', body);
  }
  getSession(id) { return this.request('GET', `/sessions/${enc(id)}`); }
  updateSession(id, changes) { return this.request('PATCH', `/sessions/${enc(id)}`, changes); }
  deleteSession(id) { return this.request('DELETE', `/sessions/${enc(id)}`); }
  sendMessage(sessionId, text, modelId) {
    const body = { text };
    if (modelId) body.modelId = modelId;
    return this.request('POST', `/sessions/${enc(sessionId)}/messages`, body);
  }
  sendFeedback(sessionId, messageId, rating, comment) {
    const body = { rating };
    if (comment) body.comment = comment;
    return this.request('POST', `/sessions/${enc(sessionId)}/messages/${enc(messageId)}/feedback`, body);
  }
  usage() { return this.request('GET', '/usage'); }
  models() { return this.request('GET', '/models').then((r) => r.models); }
  settings() { return this.request('GET', '/settings'); }
  updateSettings(changes) { return this.request('PUT', '/settings', changes); }
  workspaces() { return this.request('GET', '/workspaces').then((r) => r.workspaces); }
  workspace(id) { return this.request('GET', `/workspaces/${enc(id)}`); }
  createWorkspace(spec) { return this.request('POST', '/workspaces', spec); }
  workspaceOptions() { return this.request('GET', '/workspaces/options'); }
  deleteWorkspace(id) { return this.request('DELETE', `/workspaces/${enc(id)}`); }
  documents(workspaceId) {
    return this.request('GET', `/workspaces/${enc(workspaceId)}/documents`).then((r) => r.documents);
  }
  createUpload(workspaceId, file) {
    return this.request('POST', `/workspaces/${enc(workspaceId)}/documents`, file);
  }
  startCrawl(workspaceId, request) {
    return this.request('POST', `/workspaces/${enc(workspaceId)}/crawls`, request);
  }
  deleteDocument(workspaceId, documentId) {
    return this.request('DELETE', `/workspaces/${enc(workspaceId)}/documents/${enc(documentId)}`);
  }
}

/** True for the answer a stack without retrieval gives to every workspace route. */
export function isRetrievalDisabled(error) {
  return error instanceof ApiError && error.status === 404 && error.code === 'retrieval_disabled';
}
