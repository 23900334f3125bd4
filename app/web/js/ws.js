// The push-only WebSocket: connect with ?token=<ID token>, never send, hand every JSON frame to the
// listeners, and reconnect with backoff (API Gateway closes idle connections after 10 minutes and every
// connection after 2 hours; the server also stops pushing to a connection once its token expired).

import { Emitter } from './events.js';

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

export class PushChannel extends Emitter {
  #url;
  #getToken;
  #Impl;
  #socket = null;
  #state = 'idle';
  #attempt = 0;
  #timer = null;
  #stopped = true;

  constructor(url, getToken, Impl = globalThis.WebSocket) {
    super();
    this.#url = url;
    this.#getToken = getToken;
    this.#Impl = Impl;
  }

  get state() {
    return this.#state;
  }

  start() {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#drop();
    this.#setState('idle');
  }

  /** Reconnect now (a fresh token): the old connection's token is what the server checks. */
  reconnect() {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#drop();
    this.#attempt = 0;
    this.#connect();
  }

  /** Resolves once the channel is open; rejects after `timeoutMs`. */
  ready(timeoutMs = 10_000) {
    if (this.#state === 'open') return Promise.resolve();
    if (this.#stopped) this.start();
    return new Promise((resolve, reject) => {
      const off = this.on('state', (state) => {
        if (state !== 'open') return;
        off();
        clearTimeout(timer);
        resolve();
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error('the live answer channel (WebSocket) is not connected; try again in a moment'));
      }, timeoutMs);
    });
  }

  async #connect() {
    this.#setState('connecting');
    let token;
    try {
      token = await this.#getToken();
    } catch (error) {
      this.emit('failure', error);
      this.#retryLater();
      return;
    }
    if (this.#stopped) return;
    const url = new URL(this.#url);
    url.searchParams.set('token', token);
    let socket;
    try {
      socket = new this.#Impl(url.href);
    } catch (error) {
      this.emit('failure', error);
      this.#retryLater();
      return;
    }
    this.#socket = socket;
    socket.addEventListener('open', () => {
      if (socket !== this.#socket) return;
      this.#attempt = 0;
      this.#setState('open');
    });
    socket.addEventListener('message', (event) => {
      if (socket !== this.#socket) return; // a replaced connection's late frames
      this.#dispatch(event.data);
    });
    socket.addEventListener('close', () => {
      if (socket !== this.#socket) return;
      this.#socket = null;
      this.#retryLater();
    });
  }

  #dispatch(data) {
    if (typeof data !== 'string') return;
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // not ours: the channel only carries the worker's JSON frames
    }
    if (frame && typeof frame === 'object' && typeof frame.type === 'string') this.emit('frame', frame);
  }

  #retryLater() {
    if (this.#stopped) return;
    this.#setState('closed');
    const delay = BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)];
    this.#attempt += 1;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #drop() {
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000, 'reconnect');
  }

  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
