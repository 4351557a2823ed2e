// The video grid: one tile per person's camera (ours first) and one per screen share, the
// columns that give the tiles the most room, and the active speaker's highlight.

import { h, initials } from './dom.js';
import { SpeakerDetector } from './speaker.js';

const GAP = 8;

export class Layout {
  constructor() {
    this.grid = h('section', { id: 'grid', class: 'grid', 'aria-label': 'Video of the participants' });
    this.speaking = null;
    this.resizeObs = null;
    this.detector = null;
  }

  /**
   * start follows the grid's size once it is on the page, and highlights whoever speaks:
   * speakers is what SpeakerDetector (speaker.js) takes, but for onChange.
   */
  start(speakers) {
    if (typeof ResizeObserver === 'function') {
      this.resizeObs = new ResizeObserver(() => this.layout());
      this.resizeObs.observe(this.grid);
    }
    this.detector = new SpeakerDetector({ ...speakers, onChange: (id) => this.setSpeaking(id) });
  }

  stop() {
    if (this.resizeObs) this.resizeObs.disconnect();
    if (this.detector) this.detector.stop();
  }

  /**
   * show draws the camera tile of identity (ours when self) and its screen tile while
   * there is a screen track: t is {camera, videoOff, micOff, screen}, tracks or null.
   */
  show(identity, self, name, t) {
    const cameraOpts = { videoOff: t.videoOff, micOff: t.micOff };
    if (self) Object.assign(cameraOpts, { label: `${name} (you)`, mirror: true });
    this.setTile(this.tile(identity, 'camera', self), name, t.camera, cameraOpts);
    const sel = self ? '.tile[data-self][data-source="screen"]' : `.tile[data-identity="${CSS.escape(identity)}"][data-source="screen"]`;
    const el = this.grid.querySelector(sel);
    if (t.screen) {
      this.setTile(this.tile(identity, 'screen', self), name, t.screen, { label: self ? 'Your screen' : `${name} (screen)` });
    } else if (el) {
      el.remove();
      this.layout();
    }
  }

  /** remove drops every tile of identity. */
  remove(identity) {
    for (const el of this.grid.querySelectorAll('.tile')) if (el.dataset.identity === identity) el.remove();
    this.layout();
  }

  /** clearOthers drops every tile but ours. */
  clearOthers() {
    for (const el of [...this.grid.querySelectorAll('.tile:not([data-self])')]) el.remove();
  }

  tile(identity, source, self) {
    const sel = `.tile[data-identity="${CSS.escape(identity)}"][data-source="${source}"]`;
    let el = this.grid.querySelector(sel);
    if (el) return el;
    const video = h('video', { autoplay: true, playsinline: true, muted: true });
    video.muted = true;
    el = h('div', { class: 'tile' + (source === 'screen' ? ' screen' : ''), dataset: { identity, source }, role: 'group' },
      video,
      h('div', { class: 'avatar', 'aria-hidden': 'true' }),
      h('div', { class: 'tile-bar' },
        h('span', { class: 'tile-mic', 'aria-hidden': 'true' }),
        h('span', { class: 'tile-name' })));
    if (self) el.dataset.self = '';
    // Camera tiles come first in the document (tests and screen readers find a person's
    // camera tile first); CSS puts screen shares on top.
    if (source === 'camera') {
      const firstScreen = self ? this.grid.firstChild : this.grid.querySelector('.tile.screen');
      if (self) this.grid.prepend(el);
      else if (firstScreen) this.grid.insertBefore(el, firstScreen);
      else this.grid.append(el);
    } else {
      this.grid.append(el);
    }
    this.layout();
    return el;
  }

  setTile(el, name, track, opts = {}) {
    const video = el.querySelector('video');
    const label = opts.label || name;
    el.querySelector('.tile-name').textContent = label;
    el.setAttribute('aria-label', label);
    el.querySelector('.avatar').textContent = initials(name);
    const mic = el.querySelector('.tile-mic');
    mic.textContent = opts.micOff ? 'Muted' : '';
    mic.hidden = !opts.micOff;
    const show = !!track && track.readyState !== 'ended' && !opts.videoOff;
    const cur = video.srcObject ? video.srcObject.getVideoTracks()[0] : null;
    if (track && cur !== track) {
      video.srcObject = new MediaStream([track]);
      video.play().catch(() => {});
    } else if (!track && cur) {
      video.srcObject = null;
    }
    el.classList.toggle('has-video', show);
    el.classList.toggle('mirror', !!opts.mirror);
    el.classList.toggle('speaking', this.speaking === el.dataset.identity && el.dataset.source === 'camera');
  }

  /** setSpeaking highlights the camera tile of identity id (null: nobody). */
  setSpeaking(id) {
    this.speaking = id;
    for (const el of this.grid.querySelectorAll('.tile')) {
      el.classList.toggle('speaking', !!id && el.dataset.identity === id && el.dataset.source === 'camera');
    }
  }

  /** layout picks the number of columns that gives 16:9 tiles the most room. */
  layout() {
    const tiles = [...this.grid.children];
    const screens = tiles.filter((t) => t.classList.contains('screen')).length;
    this.grid.classList.toggle('has-screen', screens > 0);
    const n = tiles.length - screens;
    const W = this.grid.clientWidth;
    const H = this.grid.clientHeight;
    if (!n || !W || !H) return;
    let best = 1;
    let bestW = 0;
    const availH = screens ? H * 0.3 : H;
    for (let c = 1; c <= n; c++) {
      const r = Math.ceil(n / c);
      const w = Math.min((W - GAP * (c - 1)) / c, ((availH - GAP * (r - 1)) / r) * 16 / 9);
      if (w > bestW + 0.5) {
        bestW = w;
        best = c;
      }
    }
    const tileW = Math.max(Math.floor(bestW), 120);
    this.grid.style.setProperty('--cols', String(best));
    this.grid.style.setProperty('--tile-w', tileW + 'px');
    if (screens) {
      // Screen shares take what the row(s) of cameras leave.
      const rows = Math.ceil(n / best);
      const strip = rows * (tileW * 9 / 16) + rows * GAP;
      const each = Math.max(120, Math.floor((H - strip - GAP * (screens - 1)) / screens));
      this.grid.style.setProperty('--screen-h', each + 'px');
    }
  }
}
