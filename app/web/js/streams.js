// Answers in flight, by messageId, built from the WebSocket frames (start, sources, delta..., end | error).
// Kept app-wide so an answer keeps streaming while the user looks at another page, and so frames that
// arrive before the 202 of POST .../messages are not lost. No DOM: the chat view subscribes.

const TYPES = new Set(['start', 'sources', 'delta', 'end', 'error']);

export class AnswerStreams {
  #byId = new Map();
  #listeners = new Set();

  /** Apply one frame; ignores frames that are not answer frames. Returns the updated stream or null. */
  handle(frame) {
    if (!frame || !TYPES.has(frame.type)) return null;
    if (typeof frame.messageId !== 'string' || typeof frame.sessionId !== 'string') return null;
    const stream = this.#ensure(frame.sessionId, frame.messageId);
    if (stream.state === 'done' || stream.state === 'error') return null; // a late or repeated frame
    stream.updatedAt = Date.now();
    switch (frame.type) {
      case 'start':
        stream.state = 'streaming';
        stream.questionId = typeof frame.questionId === 'string' ? frame.questionId : null;
        stream.modelId = typeof frame.modelId === 'string' ? frame.modelId : null;
        break;
      case 'sources':
        stream.sources = Array.isArray(frame.sources) ? frame.sources : [];
        break;
      case 'delta':
        stream.state = 'streaming';
        stream.text += typeof frame.text === 'string' ? frame.text : '';
        break;
      case 'end':
        stream.state = 'done';
        stream.stopReason = frame.stopReason ?? null;
        stream.usage = frame.usage ?? null;
        break;
      default: {
        const error = frame.error ?? {};
        stream.state = 'error';
        stream.error = {
          code: String(error.code ?? 'error'),
          message: String(error.message ?? 'the answer failed'),
        };
      }
    }
    this.#notify(stream, frame.type);
    return stream;
  }

  /** Register an answer this tab asked for (from the 202), so the view can show it as pending. */
  expect(sessionId, messageId) {
    const stream = this.#ensure(sessionId, messageId);
    stream.local = true;
    return stream;
  }

  get(messageId) {
    return this.#byId.get(messageId) ?? null;
  }

  /** Answers still coming (pending or streaming) that have shown a sign of life in the last 2 minutes. */
  active(nowMs = Date.now()) {
    return [...this.#byId.values()].filter(
      (s) => (s.state === 'pending' || s.state === 'streaming') && nowMs - s.updatedAt < 120_000);
  }

  forSession(sessionId) {
    return [...this.#byId.values()].filter((s) => s.sessionId === sessionId);
  }

  /** Drop finished answers of a session once they are stored and reloaded. */
  forget(messageId) {
    this.#byId.delete(messageId);
  }

  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #ensure(sessionId, messageId) {
    let stream = this.#byId.get(messageId);
    if (!stream) {
      stream = {
        sessionId, messageId, questionId: null, modelId: null, text: '', sources: null,
        state: 'pending', stopReason: null, usage: null, error: null, local: false, updatedAt: Date.now(),
      };
      this.#byId.set(messageId, stream);
    }
    return stream;
  }

  #notify(stream, type) {
    for (const listener of [...this.#listeners]) listener(stream, type);
  }
}
