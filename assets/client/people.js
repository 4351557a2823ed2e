// The participant list of the side panel: us first, then the others by name, each with a
// meeting-role badge, the state of microphone and camera, and the moderation acts allowed.

import { h } from './dom.js';

export class People {
  /**
   * actions(o, media) lists [{action, label}] allowed on participant o; onAction(action, o)
   * runs one. errorEl (moderation's error line) is shown above the list.
   */
  constructor({ actions, onAction, errorEl }) {
    this.actions = actions;
    this.onAction = onAction;
    this.list = h('ul', { id: 'participants', class: 'people' });
    this.count = h('span', { class: 'count', 'aria-live': 'polite' });
    this.el = h('section', { class: 'panel people-panel', 'aria-labelledby': 'people-title' },
      h('h2', { id: 'people-title' }, 'People ', this.count), errorEl, this.list);
  }

  /**
   * render redraws the list: me is {identity, name, role, micOn, camOn, connecting,
   * failed, hand}; others are [{p, micOn, camOn, screenOn, connecting, hand}] with p a
   * participant of the roster. A participant whose media is not connected yet is shown
   * connecting, not muted: its microphone and camera are unknown.
   */
  render(me, others) {
    const state = (o) => {
      if (o.failed) return h('span', { class: 'media-state' }, h('span', { class: 'state failed', text: 'media not connected' }));
      if (o.connecting) return h('span', { class: 'media-state' }, h('span', { class: 'state connecting', text: 'connecting…' }));
      return h('span', { class: 'media-state' },
        h('span', { class: 'state ' + (o.micOn ? 'on' : 'off'), text: o.micOn ? 'mic on' : 'mic off' }),
        h('span', { class: 'state ' + (o.camOn ? 'on' : 'off'), text: o.camOn ? 'camera on' : 'camera off' }));
    };
    const badge = (role) => (role === 'moderator' ? h('span', { class: 'badge', text: 'moderator' }) : null);
    const hand = (o) => (o.hand ? h('span', { class: 'hand', role: 'img', 'aria-label': 'hand raised', title: 'Hand raised', text: '✋' }) : null);
    const rows = [h('li', { dataset: { identity: me.identity, self: '', hand: String(!!me.hand) } },
      h('span', { class: 'person' }, hand(me), h('span', { class: 'person-name', text: `${me.name} (you)` }), badge(me.role)),
      state(me))];
    // Raised hands first, then by name.
    for (const o of [...others].sort((a, b) => (b.hand - a.hand) || a.p.name.localeCompare(b.p.name))) {
      const p = o.p;
      const actions = this.actions(p, o).map(({ action, label }) => h('button', {
        type: 'button', class: 'small', dataset: { action }, text: label, 'aria-label': `${label}: ${p.name}`,
        on: { click: () => this.onAction(action, p) },
      }));
      rows.push(h('li', { dataset: { identity: p.identity, hand: String(!!o.hand) } },
        h('span', { class: 'person' }, hand(o), h('span', { class: 'person-name', text: p.name }), badge(p.role)),
        state(o),
        actions.length ? h('span', { class: 'actions' }, actions) : null));
    }
    this.list.replaceChildren(...rows);
    this.count.textContent = `(${rows.length})`;
  }
}
