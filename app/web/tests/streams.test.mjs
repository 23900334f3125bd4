// Answer frames -> answer state, and the WebSocket channel's connect / dispatch / reconnect behaviour.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AnswerStreams } from '../js/streams.js';
import { PushChannel } from '../js/ws.js';

const S = 'a'.repeat(32);
const M = '1700000000000-0123abcd-a';

test('frames build an answer; late frames after the end are ignored', () => {
  const streams = new AnswerStreams();
  const seen = [];
  streams.subscribe((s, type) => seen.push(type));
  streams.handle({ type: 'start', sessionId: S, messageId: M, questionId: 'q', modelId: 'm1' });
  streams.handle({ type: 'sources', sessionId: S, messageId: M, sources: [{ n: 1, fileName: 'a.pdf' }] });
  streams.handle({ type: 'delta', sessionId: S, messageId: M, text: 'Hello ' });
  streams.handle({ type: 'delta', sessionId: S, messageId: M, text: 'world [1]' });
  assert.equal(streams.active().length, 1);
  streams.handle({ type: 'end', sessionId: S, messageId: M, stopReason: 'end_turn', usage: { totalTokens: 9 } });
  streams.handle({ type: 'delta', sessionId: S, messageId: M, text: 'late' });
  const stream = streams.get(M);
  assert.equal(stream.text, 'Hello world [1]');
  assert.equal(stream.state, 'done');
  assert.equal(stream.modelId, 'm1');
  assert.equal(stream.sources.length, 1);
  assert.deepEqual(seen, ['start', 'sources', 'delta', 'delta', 'end']);
  assert.equal(streams.active().length, 0);
  assert.deepEqual(streams.forSession(S).map((s) => s.messageId), [M]);
});

test('errors, frames before the 202, and junk', () => {
  const streams = new AnswerStreams();
  streams.handle({ type: 'start', sessionId: S, messageId: M });
  const expected = streams.expect(S, M); // the 202 arrives after the first frame
  assert.equal(expected.state, 'streaming');
  assert.equal(expected.local, true);
  streams.handle({ type: 'error', sessionId: S, messageId: M, error: { code: 'model_error', message: 'boom' } });
  assert.deepEqual(streams.get(M).error, { code: 'model_error', message: 'boom' });
  assert.equal(streams.handle({ type: 'delta', text: 'x' }), null);
  assert.equal(streams.handle({ type: 'other', sessionId: S, messageId: 'x' }), null);
  assert.equal(streams.handle(null), null);
});

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.listeners = {};
    this.sent = [];
    FakeSocket.all.push(this);
  }
  addEventListener(type, fn) { (this.listeners[type] ??= []).push(fn); }
  fire(type, event = {}) { for (const fn of this.listeners[type] ?? []) fn(event); }
  open() { this.readyState = 1; this.fire('open'); }
  send(data) { this.sent.push(data); }
  close() { this.readyState = 3; this.fire('close'); }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

test('the channel connects with ?token=, never sends, dispatches JSON frames, reconnects', async () => {
  FakeSocket.all = [];
  let token = 'tok1';
  const channel = new PushChannel('wss://ws.example/api', async () => token, FakeSocket);
  const frames = [];
  const states = [];
  channel.on('frame', (f) => frames.push(f));
  channel.on('state', (s) => states.push(s));
  channel.start();
  await tick();
  const first = FakeSocket.all[0];
  assert.equal(first.url, 'wss://ws.example/api?token=tok1');
  const ready = channel.ready(1000);
  first.open();
  await ready;
  first.fire('message', { data: '{"type":"delta","text":"x","sessionId":"s","messageId":"m"}' });
  first.fire('message', { data: 'not json' });
  assert.equal(frames.length, 1);
  token = 'tok2';
  channel.reconnect(); // a refreshed token
  await tick();
  const second = FakeSocket.all[1];
  assert.equal(second.url, 'wss://ws.example/api?token=tok2');
  first.fire('message', { data: '{"type":"delta","text":"stale"}' }); // the replaced socket is ignored
  assert.equal(frames.length, 1);
  second.open();
  assert.equal(channel.state, 'open');
  channel.stop();
  assert.equal(channel.state, 'idle');
  assert.deepEqual(FakeSocket.all.flatMap((s) => s.sent), []);
  assert.deepEqual(states.slice(0, 2), ['connecting', 'open']);
});

test('ready() rejects when no connection opens in time', async () => {
  FakeSocket.all = [];
  const channel = new PushChannel('wss://ws.example/api', async () => 't', FakeSocket);
  await assert.rejects(channel.ready(20), /not connected/);
  channel.stop();
});
