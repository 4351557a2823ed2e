// The meeting page's frame: the room name, recording indicator and reconnecting banner,
// the stage (video grid and the side panel of people and chat), the control bar, and the
// toasts. The parts inside come from their own modules.

import { h, mount } from './dom.js';

export class Page {
  /**
   * parts: grid (the video grid), people and chat (the side panel's sections), controls
   * (the control bar), then linkBox, enableSound and sinks, below it.
   */
  constructor(parts) {
    this.parts = parts;
    this.mounted = false;
    this.recording = false;
    this.recordingEl = h('div', { id: 'recording-indicator', class: 'recording', role: 'status', hidden: true },
      h('span', { class: 'rec-dot', 'aria-hidden': 'true' }), 'Recording');
    this.bannerEl = h('div', { id: 'reconnecting', class: 'banner', role: 'status', hidden: true }, 'Reconnecting…');
    this.mediaEl = h('div', { id: 'media-failed', class: 'banner error', role: 'alert', hidden: true });
    this.toasts = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    this.side = null;
  }

  /** mount puts the meeting of room roomName on the page. */
  mount(roomName) {
    const { grid, people, chat, controls, linkBox, enableSound, sinks } = this.parts;
    this.side = h('aside', { id: 'side', class: 'side', 'aria-label': 'People and chat' }, people, chat);
    const page = h('div', { class: 'meeting' },
      h('header', { class: 'topbar' },
        h('h1', { class: 'room-name', text: roomName }),
        this.recordingEl),
      this.bannerEl, this.mediaEl,
      h('div', { class: 'stage' }, h('main', { class: 'grid-wrap' }, grid), this.side),
      controls,
      linkBox, enableSound, this.toasts, sinks);
    mount(page);
    this.mounted = true;
    document.title = roomName + ' · Conclave';
    if (window.matchMedia && window.matchMedia('(max-width: 640px)').matches) this.side.classList.add('closed');
  }

  /** sideClosed says whether the side panel is closed. */
  sideClosed() {
    return this.side.classList.contains('closed');
  }

  /** toggleSide opens or closes the side panel; true when it is now open. */
  toggleSide() {
    return !this.side.classList.toggle('closed');
  }

  banner(on) {
    this.bannerEl.hidden = !on;
  }

  /** mediaProblem shows (text) or hides ('') why media could not connect. */
  mediaProblem(text) {
    this.mediaEl.textContent = text;
    this.mediaEl.hidden = !text;
  }

  setRecording(active) {
    this.recording = active;
    this.recordingEl.hidden = !active;
  }

  /** toast shows text for 6 s (nothing before the page is mounted). */
  toast(text) {
    if (!this.mounted) return;
    const t = h('p', { class: 'toast', text });
    this.toasts.append(t);
    setTimeout(() => t.remove(), 6000);
  }
}
