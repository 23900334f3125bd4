// Lists that several views need and that rarely change: the models this user may pick and the
// workspaces a session can be bound to (null when the stack has no retrieval).

import { isRetrievalDisabled } from './api.js';

export class Catalog {
  #api;
  #models = null;
  #workspaces = null;

  constructor(api) {
    this.#api = api;
  }

  models() {
    this.#models ??= this.#api.models().catch((error) => {
      this.#models = null;
      throw error;
    });
    return this.#models;
  }

  workspaces() {
    this.#workspaces ??= this.#api.workspaces().catch((error) => {
      if (isRetrievalDisabled(error)) return null; // cached: the stack will not grow retrieval meanwhile
      this.#workspaces = null;
      throw error;
    });
    return this.#workspaces;
  }

  invalidateWorkspaces() {
    this.#workspaces = null;
  }
}
