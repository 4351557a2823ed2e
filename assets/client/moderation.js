// Moderation: the acts our permissions allow on another participant, sending them with a
// ref and reporting the outcome, and ending the meeting for everyone after confirmation.

import { h } from './dom.js';

export class Moderation {
  /** perms() is the permissions that apply now; send(frame) sends (false when not connected). */
  constructor({ perms, send, toast }) {
    this.perms = perms;
    this.send = send;
    this.toast = toast;
    this.refs = new Map(); // ref → what was being done
    this.refSeq = 0;
    this.dialog = null;
    this.errorEl = h('p', { id: 'moderation-error', class: 'form-error', role: 'alert' });
  }

  /** actions lists [{action, label}] we may take on participant o, whose media is as said. */
  actions(o, { micOn, camOn, screenOn }) {
    const p = this.perms();
    const out = [];
    const act = (action, label) => out.push({ action, label });
    if (p.participantMute && micOn) act('mute-audio', 'Mute');
    if (p.participantMute && camOn) act('mute-video', 'Stop video');
    if (p.participantMute && screenOn) act('mute-screen', 'Stop screen');
    if (p.participantPromote) {
      if (o.role === 'moderator') act('demote', 'Make speaker');
      else act('promote', 'Make moderator');
    }
    if (p.participantKick) act('kick', 'Remove');
    return out;
  }

  /** act sends the moderation frame of action on participant o. */
  act(action, o) {
    const ref = `r${++this.refSeq}`;
    let frame;
    let what;
    switch (action) {
      case 'kick': frame = { type: 'kick', identity: o.identity }; what = `Removing ${o.name}`; break;
      case 'mute-audio': frame = { type: 'muteParticipant', identity: o.identity, kind: 'audio' }; what = `Muting ${o.name}`; break;
      case 'mute-video': frame = { type: 'muteParticipant', identity: o.identity, kind: 'video' }; what = `Stopping the video of ${o.name}`; break;
      case 'mute-screen': frame = { type: 'muteParticipant', identity: o.identity, kind: 'screen' }; what = `Stopping the screen share of ${o.name}`; break;
      case 'promote': frame = { type: 'setRole', identity: o.identity, action: 'upgrade' }; what = `Making ${o.name} a moderator`; break;
      case 'demote': frame = { type: 'setRole', identity: o.identity, action: 'downgrade' }; what = `Making ${o.name} a speaker`; break;
      default: return;
    }
    this.errorEl.textContent = '';
    this.refs.set(ref, what);
    if (!this.send({ ...frame, ref })) {
      this.refs.delete(ref);
      this.error(`${what} failed: not connected`);
    }
  }

  /** result handles a `result` frame: the act succeeded. */
  result(f) {
    if (this.refs.has(f.ref)) this.refs.delete(f.ref);
  }

  /** refused handles an error frame answering one of our acts; false when it answers none. */
  refused(f) {
    if (!f.ref || !this.refs.has(f.ref)) return false;
    const what = this.refs.get(f.ref);
    this.refs.delete(f.ref);
    this.error(`${what} failed: ${f.message || f.code}`);
    return true;
  }

  error(text) {
    this.errorEl.textContent = text;
    this.toast(text);
  }

  /** confirmEnd asks whether to end the meeting for everyone, and does so. */
  confirmEnd() {
    const doEnd = () => {
      const ref = `r${++this.refSeq}`;
      this.refs.set(ref, 'Ending the meeting');
      this.send({ type: 'endMeeting', ref });
    };
    if (typeof HTMLDialogElement !== 'function') {
      if (window.confirm('End the meeting for everyone?')) doEnd();
      return;
    }
    if (!this.dialog) {
      const yes = h('button', { id: 'end-meeting-confirm', type: 'button', class: 'danger', text: 'End for everyone' });
      const no = h('button', { id: 'end-meeting-cancel', type: 'button', text: 'Cancel' });
      this.dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'end-title' },
        h('h2', { id: 'end-title', text: 'End the meeting for everyone?' }),
        h('p', { text: 'Everybody will be disconnected.' }),
        h('p', { class: 'notice-actions' }, no, yes));
      yes.addEventListener('click', () => { this.dialog.close(); doEnd(); });
      no.addEventListener('click', () => this.dialog.close());
      document.body.append(this.dialog);
    }
    this.dialog.showModal();
    this.dialog.querySelector('#end-meeting-cancel').focus();
  }
}
