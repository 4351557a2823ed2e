// The others' sound: one hidden <audio> per participant playing its live audio tracks, and
// the "Click to enable sound" button for when the browser blocks playback without a click.

import { h } from './dom.js';

export class Sound {
  constructor() {
    this.audios = new Map(); // identity → <audio>
    this.blocked = false;
    this.sinkId = ''; // the speaker chosen in the settings ('' the system's default)
    this.sinks = h('div', { id: 'audio-sinks', hidden: true });
    this.button = h('button', { id: 'enable-sound', type: 'button', class: 'primary', hidden: true, text: 'Click to enable sound', on: { click: () => this.unblock() } });
  }

  /** update (re)builds identity's <audio> from tracks, removing it when there are none. */
  update(identity, tracks) {
    let a = this.audios.get(identity);
    if (!tracks.length) {
      this.remove(identity);
      return;
    }
    if (!a) {
      a = h('audio', { autoplay: true, dataset: { identity } });
      this.audios.set(identity, a);
      this.sinks.append(a);
      if (this.sinkId && typeof a.setSinkId === 'function') a.setSinkId(this.sinkId).catch(() => {});
    }
    a.srcObject = new MediaStream(tracks);
    const pl = a.play();
    if (pl && pl.catch) {
      pl.catch((err) => {
        if (err && err.name === 'NotAllowedError') this.block(true);
      });
    }
  }

  /** canChooseSpeaker says whether this browser lets a page pick the speaker. */
  static canChooseSpeaker() {
    return typeof HTMLMediaElement !== 'undefined' && typeof HTMLMediaElement.prototype.setSinkId === 'function';
  }

  /** setSpeaker plays everyone's sound on the output device id. */
  async setSpeaker(id) {
    this.sinkId = id;
    await Promise.all([...this.audios.values()].map((a) => a.setSinkId(id)));
  }

  /** remove drops identity's <audio>. */
  remove(identity) {
    const a = this.audios.get(identity);
    if (a) {
      a.srcObject = null;
      a.remove();
      this.audios.delete(identity);
    }
  }

  /** clear drops every <audio> (a resumed connection receives everything anew). */
  clear() {
    for (const a of this.audios.values()) a.remove();
    this.audios.clear();
  }

  block(blocked) {
    this.blocked = blocked;
    this.button.hidden = !blocked;
  }

  unblock() {
    for (const a of this.audios.values()) a.play().catch(() => {});
    this.block(false);
  }
}
