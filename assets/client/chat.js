// The chat panel: the log of messages (always rendered as text), the form that sends ours,
// and the server's refusals of a message.

import { formatTime, h } from './dom.js';

const REFUSALS = new Set(['chat_rate_limited', 'chat_too_long', 'chat_empty', 'chat_forbidden']);

export class Chat {
  /**
   * send(frame) sends a signalling frame (false when not connected); self() is our
   * identity; sideClosed() says whether the side panel is closed; toast(text) shows a
   * message from another participant when it is.
   */
  constructor({ send, self, sideClosed, toast }) {
    this.send = send;
    this.self = self;
    this.sideClosed = sideClosed;
    this.toast = toast;
    this.lastChat = '';
    this.log = h('ol', { id: 'chat-log', class: 'chat-log', 'aria-live': 'polite', 'aria-label': 'Chat messages' });
    this.input = h('textarea', { id: 'chat-input', rows: 2, 'aria-label': 'Chat message', placeholder: 'Write a message; Enter sends' });
    this.sendBtn = h('button', { id: 'chat-send', type: 'submit', class: 'primary', text: 'Send' });
    this.err = h('p', { id: 'chat-error', class: 'form-error', role: 'alert' });
    this.form = h('form', { class: 'chat-form', on: { submit: (e) => { e.preventDefault(); this.submit(); } } },
      this.input, this.sendBtn);
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => { this.err.textContent = ''; });
    this.el = h('section', { class: 'panel chat', 'aria-labelledby': 'chat-title' },
      h('h2', { id: 'chat-title', text: 'Chat' }), this.log, this.err, this.form);
  }

  /** allow shows the chat to readers and its form to writers. */
  allow(read, write) {
    this.el.hidden = !read;
    this.form.hidden = !write;
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    this.err.textContent = '';
    if (!this.send({ type: 'chat', text })) {
      this.error('Not connected: the message was not sent.');
      return;
    }
    this.lastChat = text;
    this.input.value = '';
  }

  /** error shows why our message did not go, giving it back to edit. */
  error(text) {
    this.err.textContent = text;
    if (this.lastChat && !this.input.value) this.input.value = this.lastChat;
    this.lastChat = '';
  }

  /** refused handles an error frame refusing our message; false when f is about something else. */
  refused(f) {
    if (!REFUSALS.has(f.code)) return false;
    this.error(f.code === 'chat_rate_limited' ? 'You are sending messages too fast; wait a moment.'
      : f.code === 'chat_too_long' ? 'That message is too long (at most 2000 characters).'
        : f.message || 'The message was refused.');
    return true;
  }

  /** add shows a `chat` frame. */
  add(f) {
    const own = f.from === this.self();
    if (own) this.lastChat = '';
    const near = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    const li = h('li', { class: 'chat-message' + (own ? ' own' : ''), dataset: { from: f.from || '' } },
      h('span', { class: 'chat-meta' },
        h('span', { class: 'chat-name', text: f.name || f.from || '' }),
        h('time', { class: 'chat-time', datetime: new Date(f.time || Date.now()).toISOString(), text: formatTime(f.time || Date.now()) })),
      h('span', { class: 'chat-text', text: f.text || '' }));
    this.log.append(li);
    if (near || own) this.log.scrollTop = this.log.scrollHeight;
    if (this.sideClosed() && !own) this.toast(`${f.name}: ${f.text}`.slice(0, 140));
  }
}
