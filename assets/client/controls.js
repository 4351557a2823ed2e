// The control bar: microphone, camera, screen share, speaker link, recording, end meeting,
// side panel and leave, shown as our permissions, our media and the meeting's recording
// say, and the speaker-link copier.

import { h, icon } from './dom.js';

export class Controls {
  /**
   * Callbacks: onToggle(source) for microphone and camera, onScreen(), onRecord(start,
   * settled) starts or stops the recording and calls settled(ok) once answered, onEnd(),
   * onSide(), onLeave(); toast(text) confirms a copied link. speakerUrl is the link the
   * speaker-link button copies ('' when there is none).
   */
  constructor({ speakerUrl, onToggle, onScreen, onRecord, onEnd, onSide, onLeave, onHand, onSettings, onLayout, toast }) {
    this.speakerUrl = speakerUrl;
    this.toast = toast;
    this.onRecord = onRecord;
    this.recording = false; // the meeting is being recorded, as the server last said
    // The record button's act in flight: null, or {start, told, accepted}: told once a
    // `recording` frame came since it was sent, accepted once the server said `result`.
    this.recordAct = null;
    // The visible label is short; the accessible name says it in full and contains it.
    const btn = (id, ico, label, short, onClick, extra = {}) => h('button', { id, type: 'button', class: 'control', 'aria-label': label, title: label, on: { click: onClick }, ...extra },
      icon(ico), h('span', { class: 'label', text: short }));
    this.btnAudio = btn('toggle-audio', 'mic', 'Mute microphone', 'Mute', () => onToggle('microphone'));
    this.btnVideo = btn('toggle-video', 'camera', 'Stop camera', 'Stop camera', () => onToggle('camera'));
    this.btnScreen = btn('toggle-screen', 'screen', 'Share screen', 'Share screen', () => onScreen());
    this.btnHand = btn('raise-hand', 'hand', 'Raise hand', 'Raise hand', () => onHand(), { 'aria-pressed': 'false' });
    this.btnLayout = btn('toggle-layout', 'layout', 'Speaker layout', 'Speaker view', () => onLayout());
    this.btnSettings = btn('open-settings', 'settings', 'Settings: microphone, camera, speaker', 'Settings', () => onSettings());
    this.btnLink = btn('copy-speaker-link', 'link', 'Copy speaker link', 'Speaker link', () => this.copyLink());
    this.btnRecord = btn('record-button', 'record', 'Record', 'Record', () => this.toggleRecording(), { 'data-recording': 'false' });
    this.btnRecord.hidden = true;
    // End meeting and Leave keep their words on every screen: both are red, and only one
    // of them ends the meeting for everybody.
    this.btnEnd = btn('end-meeting', 'end', 'End meeting for everyone', 'End for all', () => onEnd(), { class: 'control danger keep-label' });
    this.btnSide = btn('toggle-side', 'chat', 'Chat and people', 'Chat', () => onSide(), { 'aria-controls': 'side', 'aria-expanded': 'false' });
    this.btnLeave = btn('leave', 'leave', 'Leave meeting', 'Leave', () => onLeave(), { class: 'control danger keep-label' });
    this.linkBox = h('div', { class: 'link-box', hidden: true });
    this.el = h('footer', { class: 'controls', 'aria-label': 'Meeting controls' },
      h('div', { class: 'group' }, this.btnAudio, this.btnVideo, this.btnScreen, this.btnHand),
      h('div', { class: 'group' }, this.btnLink, this.btnRecord, this.btnLayout, this.btnSettings, this.btnSide, this.btnEnd),
      h('div', { class: 'group' }, this.btnLeave));
  }

  /** sideOpen tells the side panel's button whether the panel is open. */
  sideOpen(open) {
    this.btnSide.setAttribute('aria-expanded', String(open));
  }

  focus() {
    this.btnAudio.focus();
  }

  /**
   * render shows the buttons perms allow, in the state of our media: local(source) is
   * {track, muted} or undefined.
   */
  render(perms, local) {
    const p = perms;
    const setBtn = (b, label, pressed, short = label) => {
      b.setAttribute('aria-label', label);
      b.title = label;
      b.querySelector('.label').textContent = short;
      if (pressed !== undefined) b.setAttribute('aria-pressed', String(pressed));
    };
    const mic = local('microphone');
    const micOn = !!(mic && !mic.muted && mic.track.readyState === 'live');
    this.btnAudio.hidden = !p.mediaPublishAudio;
    this.btnAudio.dataset.on = String(micOn);
    setBtn(this.btnAudio, micOn ? 'Mute microphone' : 'Unmute microphone', !micOn, micOn ? 'Mute' : 'Unmute');
    const cam = local('camera');
    const camOn = !!(cam && !cam.muted && cam.track.readyState === 'live');
    this.btnVideo.hidden = !p.mediaPublishVideo;
    this.btnVideo.dataset.on = String(camOn);
    setBtn(this.btnVideo, camOn ? 'Stop camera' : 'Start camera', !camOn);
    const scr = local('screen');
    const sharing = !!(scr && scr.track.readyState === 'live');
    this.btnScreen.hidden = !p.mediaShareScreen || !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    this.btnScreen.dataset.on = String(sharing);
    setBtn(this.btnScreen, sharing ? 'Stop sharing' : 'Share screen', sharing);
    this.btnRecord.hidden = !p.recordingControl;
    this.btnEnd.hidden = !p.meetingEnd;
    this.btnLink.hidden = !(p.roomShareAccessLinks && this.speakerUrl);
    if (this.btnLink.hidden) this.linkBox.hidden = true;
  }

  /** setHand shows whether our hand is raised. */
  setHand(raised) {
    const label = raised ? 'Lower hand' : 'Raise hand';
    this.btnHand.setAttribute('aria-label', label);
    this.btnHand.title = label;
    this.btnHand.querySelector('.label').textContent = label;
    this.btnHand.setAttribute('aria-pressed', String(raised));
  }

  /** setLayout shows the layout in use ('grid' or 'speaker'); the button offers the other. */
  setLayout(layout) {
    const label = layout === 'speaker' ? 'Grid layout' : 'Speaker layout';
    this.btnLayout.setAttribute('aria-label', label);
    this.btnLayout.title = label;
    this.btnLayout.querySelector('.label').textContent = layout === 'speaker' ? 'Grid view' : 'Speaker view';
    this.btnLayout.dataset.layout = layout;
  }

  /** setRecording follows the meeting's recording state (`joined`, `recording` frames). */
  setRecording(active) {
    this.recording = active;
    if (this.recordAct) this.recordAct.told = true;
    // An act the server accepted but had not told yet is over with this frame.
    if (this.recordAct && this.recordAct.accepted) this.recordAct = null;
    this.renderRecord();
  }

  /** toggleRecording asks to start or stop the recording, one act at a time. */
  toggleRecording() {
    if (this.recordAct) return;
    const act = { start: !this.recording, told: false, accepted: false };
    this.recordAct = act;
    this.renderRecord();
    this.onRecord(act.start, (ok) => {
      if (this.recordAct !== act) return;
      // Accepted but not told yet (a stop is told once the files are finished): wait for
      // the `recording` frame rather than offer the same act again.
      if (ok && !act.told && this.recording !== act.start) {
        act.accepted = true;
        return;
      }
      this.recordAct = null;
      this.renderRecord();
    });
  }

  renderRecord() {
    const b = this.btnRecord;
    const label = this.recording ? 'Stop recording' : 'Record';
    b.setAttribute('aria-label', label);
    b.title = label;
    b.querySelector('.label').textContent = label;
    b.dataset.recording = String(this.recording);
    b.disabled = !!this.recordAct;
  }

  async copyLink() {
    const url = this.speakerUrl;
    const done = () => {
      const label = this.btnLink.querySelector('.label');
      label.textContent = 'Copied';
      this.toast('Speaker link copied');
      setTimeout(() => { label.textContent = 'Speaker link'; }, 2000);
    };
    try {
      if (!navigator.clipboard || !navigator.clipboard.writeText) throw new Error('no clipboard');
      await navigator.clipboard.writeText(url);
      done();
    } catch {
      const input = h('input', { id: 'speaker-link', readOnly: true, value: url, 'aria-label': 'Speaker link' });
      const close = h('button', { type: 'button', class: 'small', text: 'Close', on: { click: () => { this.linkBox.hidden = true; this.btnLink.focus(); } } });
      this.linkBox.replaceChildren(h('label', { for: 'speaker-link', text: 'Copy this speaker link (Ctrl+C):' }), input, close);
      this.linkBox.hidden = false;
      input.focus();
      input.select();
      let copied = false;
      try {
        copied = document.execCommand && document.execCommand('copy');
      } catch { /* not allowed */ }
      if (copied) done();
    }
  }
}
