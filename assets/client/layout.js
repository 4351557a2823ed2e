// The video grid: one tile per person's camera (ours first) and one per screen share, the
// columns that give the tiles the most room, and the active speaker's highlight.

import { h, initials } from './dom.js';
import { SpeakerDetector } from './speaker.js';

const GAP = 8;
// Tiles take the shape of the space they are given, between square and 16:9 (video is
// cropped to fill them), so that two people side by side fill a wide window.
const MIN_ASPECT = 1;
const MAX_ASPECT = 16 / 9;

export class Layout {
  constructor() {
    this.grid = h('section', { id: 'grid', class: 'grid', 'aria-label': 'Video of the participants' });
    this.speaking = null;
    this.resizeObs = null;
    this.detector = null;
    this.mode = 'grid'; // or 'speaker': the active speaker (or the pinned tile) large
    this.pinned = null; // {identity, source} of the pinned tile, or null
    this.lastOther = null; // the other person who spoke last, for the speaker layout
  }

  /** toggleMode switches between the grid and the speaker layout; it returns the new one. */
  toggleMode() {
    this.mode = this.mode === 'grid' ? 'speaker' : 'grid';
    this.grid.dataset.layout = this.mode;
    this.feature();
    return this.mode;
  }

  /** pin makes el the large tile (whatever the layout) or, if it is pinned, unpins it. */
  pin(el) {
    const same = this.pinned && this.pinned.identity === el.dataset.identity && this.pinned.source === el.dataset.source;
    this.pinned = same ? null : { identity: el.dataset.identity, source: el.dataset.source };
    this.feature();
  }

  /**
   * feature marks the tile shown large: the pinned one; in the speaker layout without a
   * pin, the active speaker's camera (or the first other person's, or ours).
   */
  feature() {
    const tiles = [...this.grid.querySelectorAll('.tile')];
    let big = null;
    if (this.pinned) {
      big = tiles.find((t) => t.dataset.identity === this.pinned.identity && t.dataset.source === this.pinned.source) || null;
      if (!big) this.pinned = null;
    }
    if (!big && this.mode === 'speaker' && !tiles.some((t) => t.classList.contains('screen'))) {
      // Whoever else spoke last (we do not need to see ourselves large), else the first
      // other person.
      const other = (t) => t.dataset.source === 'camera' && !('self' in t.dataset);
      big = tiles.find((t) => other(t) && t.dataset.identity === this.lastOther)
        || tiles.find(other) || tiles[0] || null;
      if (tiles.length < 2) big = null; // alone: the grid already shows it large
    }
    for (const t of tiles) {
      const on = t === big;
      t.classList.toggle('featured', on);
      const b = t.querySelector('.tile-pin');
      const pinned = on && !!this.pinned;
      b.setAttribute('aria-pressed', String(pinned));
      b.setAttribute('aria-label', (pinned ? 'Unpin ' : 'Pin ') + (t.getAttribute('aria-label') || 'tile'));
      b.textContent = pinned ? 'Unpin' : 'Pin';
      t.dataset.pinned = String(pinned);
    }
    this.layout();
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
    const cameraOpts = { videoOff: t.videoOff, micOff: t.micOff, connecting: t.connecting, hand: t.hand };
    if (self) Object.assign(cameraOpts, { label: `${name} (you)`, mirror: true });
    this.setTile(this.tile(identity, 'camera', self), name, t.camera, cameraOpts);
    const sel = self ? '.tile[data-self][data-source="screen"]' : `.tile[data-identity="${CSS.escape(identity)}"][data-source="screen"]`;
    const el = this.grid.querySelector(sel);
    if (t.screen) {
      this.setTile(this.tile(identity, 'screen', self), name, t.screen, { label: self ? 'Your screen' : `${name} (screen)` });
    } else if (el) {
      el.remove();
      this.feature();
    }
  }

  /** remove drops every tile of identity. */
  remove(identity) {
    for (const el of this.grid.querySelectorAll('.tile')) if (el.dataset.identity === identity) el.remove();
    this.feature();
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
    const pinBtn = h('button', { type: 'button', class: 'tile-pin small', 'aria-pressed': 'false', text: 'Pin' });
    el = h('div', { class: 'tile' + (source === 'screen' ? ' screen' : ''), dataset: { identity, source }, role: 'group' },
      video,
      h('div', { class: 'avatar', 'aria-hidden': 'true' }),
      h('div', { class: 'tile-bar' },
        h('span', { class: 'tile-hand', role: 'img', 'aria-label': 'hand raised', title: 'Hand raised', text: '✋', hidden: true }),
        h('span', { class: 'tile-mic', 'aria-hidden': 'true' }),
        h('span', { class: 'tile-name' })),
      pinBtn);
    pinBtn.addEventListener('click', () => this.pin(el));
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
    this.feature();
    return el;
  }

  setTile(el, name, track, opts = {}) {
    const video = el.querySelector('video');
    const label = opts.label || name;
    el.querySelector('.tile-name').textContent = label;
    el.setAttribute('aria-label', label);
    const pinned = el.dataset.pinned === 'true';
    el.querySelector('.tile-pin').setAttribute('aria-label', (pinned ? 'Unpin ' : 'Pin ') + label);
    el.querySelector('.avatar').textContent = initials(name);
    const mic = el.querySelector('.tile-mic');
    // Connecting is not muted: nothing is known of the microphone yet.
    mic.textContent = opts.connecting ? 'Connecting…' : opts.micOff ? 'Muted' : '';
    mic.hidden = !opts.connecting && !opts.micOff;
    mic.classList.toggle('connecting', !!opts.connecting);
    el.querySelector('.tile-hand').hidden = !opts.hand;
    el.dataset.hand = String(!!opts.hand);
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
    const changed = this.speaking !== id;
    this.speaking = id;
    const other = id && !this.grid.querySelector(`.tile[data-self][data-identity="${CSS.escape(id)}"]`);
    if (other) this.lastOther = id;
    for (const el of this.grid.querySelectorAll('.tile')) {
      el.classList.toggle('speaking', !!id && el.dataset.identity === id && el.dataset.source === 'camera');
    }
    // The speaker layout follows whoever speaks (a silence keeps the last one).
    if (changed && other && this.mode === 'speaker' && !this.pinned) this.feature();
  }

  /**
   * layout picks the columns that give the tiles the most room: the large tiles (screen
   * shares, the pinned or featured one) on top, the others below in a strip of up to 30 %
   * of the height, or in the whole space when there are none.
   */
  layout() {
    const tiles = [...this.grid.children].filter((t) => t.classList.contains('tile'));
    const bigs = tiles.filter((t) => t.classList.contains('screen') || t.classList.contains('featured')).length;
    this.grid.classList.toggle('has-screen', bigs > 0);
    const n = tiles.length - bigs;
    const W = this.grid.clientWidth;
    const H = this.grid.clientHeight;
    if (!W || !H) return;
    if (!n) {
      this.grid.style.setProperty('--cols', '1');
      this.grid.style.setProperty('--screen-h', Math.max(120, Math.floor((H - GAP * (bigs - 1)) / Math.max(bigs, 1))) + 'px');
      return;
    }
    let best = { c: 1, w: 0, h: 0, area: 0 };
    const availH = bigs ? H * 0.3 : H;
    for (let c = 1; c <= n; c++) {
      const r = Math.ceil(n / c);
      let w = (W - GAP * (c - 1)) / c;
      let hh = (availH - GAP * (r - 1)) / r;
      if (w <= 0 || hh <= 0) continue;
      if (w / hh > MAX_ASPECT) w = hh * MAX_ASPECT;
      else if (w / hh < MIN_ASPECT) hh = w / MIN_ASPECT;
      if (w * hh > best.area + 1) best = { c, w, h: hh, area: w * hh };
    }
    const tileW = Math.max(Math.floor(best.w), 120);
    const tileH = Math.max(Math.floor(best.h), 68);
    this.grid.style.setProperty('--cols', String(best.c));
    this.grid.style.setProperty('--tile-w', tileW + 'px');
    this.grid.style.setProperty('--tile-h', tileH + 'px');
    this.grid.classList.add('sized');
    if (bigs) {
      const rows = Math.ceil(n / best.c);
      const strip = rows * tileH + rows * GAP;
      const each = Math.max(120, Math.floor((H - strip - GAP * (bigs - 1)) / bigs));
      this.grid.style.setProperty('--screen-h', each + 'px');
    }
  }
}
