// Moderation: the acts our permissions allow on another participant, sending them with a
// ref and reporting the outcome, ending the meeting for everyone after confirmation, and
// starting or stopping the meeting's recording.

import { h } from './dom.js';

export class Moderation {
  /** perms() is the permissions that apply now; send(frame) sends (false when not connected). */
  constructor({ perms, send, toast }) {
    this.perms = perms;
    this.send = send;
    this.toast = toast;
    this.refs = new Map(); // ref → {what, settled, inline} of an act in flight
    this.refSeq = 0;
    this.dialog = null;
    this.errorEl = h('p', { id: 'moderation-error', class: 'form-error', role: 'alert' });
  }

  /** actions lists [{action, label}] we may take on participant o, whose media is as said. */
  actions(o, { micOn, camOn, screenOn, hand }) {
    const p = this.perms();
    const out = [];
    const act = (action, label) => out.push({ action, label });
    if (p.participantMute && hand) act('lower-hand', 'Lower hand');
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
    let frame;
    let what;
    switch (action) {
      case 'kick': frame = { type: 'kick', identity: o.identity }; what = `Removing ${o.name}`; break;
      case 'lower-hand': frame = { type: 'lowerHand', identity: o.identity }; what = `Lowering the hand of ${o.name}`; break;
      case 'mute-audio': frame = { type: 'muteParticipant', identity: o.identity, kind: 'audio' }; what = `Muting ${o.name}`; break;
      case 'mute-video': frame = { type: 'muteParticipant', identity: o.identity, kind: 'video' }; what = `Stopping the video of ${o.name}`; break;
      case 'mute-screen': frame = { type: 'muteParticipant', identity: o.identity, kind: 'screen' }; what = `Stopping the screen share of ${o.name}`; break;
      case 'promote': frame = { type: 'setRole', identity: o.identity, action: 'upgrade' }; what = `Making ${o.name} a moderator`; break;
      case 'demote': frame = { type: 'setRole', identity: o.identity, action: 'downgrade' }; what = `Making ${o.name} a speaker`; break;
      default: return;
    }
    this.request(frame, what);
  }

  /**
   * record starts (start true) or stops the meeting's recording; settled(ok) runs once the
   * server has answered (ok false when it refused, or the act could not be sent). A refusal
   * is told as a toast only: it is not about the people listed.
   */
  record(start, settled) {
    this.request({ type: start ? 'startRecording' : 'stopRecording' },
      start ? 'Starting the recording' : 'Stopping the recording', settled, false);
  }

  /**
   * request sends frame with a new ref; what says what it does, in the words of a failure;
   * settled(ok) runs when it is answered; inline shows a failure on the error line too.
   */
  request(frame, what, settled = () => {}, inline = true) {
    const ref = `r${++this.refSeq}`;
    if (inline) this.errorEl.textContent = '';
    this.refs.set(ref, { what, settled, inline });
    if (!this.send({ ...frame, ref })) {
      this.refs.delete(ref);
      this.error(`${what} failed: not connected`, inline);
      settled(false);
    }
  }

  /** result handles a `result` frame: the act succeeded. */
  result(f) {
    const r = this.refs.get(f.ref);
    if (!r) return;
    this.refs.delete(f.ref);
    r.settled(true);
  }

  /** refused handles an error frame answering one of our acts; false when it answers none. */
  refused(f) {
    const r = f.ref && this.refs.get(f.ref);
    if (!r) return false;
    this.refs.delete(f.ref);
    this.error(`${r.what} failed: ${f.message || f.code}`, r.inline);
    r.settled(false);
    return true;
  }

  /**
   * abandon forgets the acts sent on a connection that is gone: nothing will answer them
   * (the next `joined` tells the meeting as it is).
   */
  abandon() {
    const pending = [...this.refs.values()];
    this.refs.clear();
    for (const r of pending) r.settled(false);
  }

  error(text, inline = true) {
    if (inline) this.errorEl.textContent = text;
    this.toast(text);
  }

  /** confirmEnd asks whether to end the meeting for everyone, and does so. */
  confirmEnd() {
    const doEnd = () => this.request({ type: 'endMeeting' }, 'Ending the meeting');
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
