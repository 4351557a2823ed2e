// The meeting: signalling (docs/signalling.md, protocol v1), the media connection, the video
// grid, controls, chat, participant list and moderation, and reconnection.

import { signalURL } from './api.js';
import { formatTime, h, icon, initials, mount, rejoinAction, setState, showNotice } from './dom.js';
import { MediaLink } from './rtc.js';
import { SpeakerDetector } from './speaker.js';

// Close codes after which the client does not reconnect by itself.
const FINAL_CLOSE = new Set([1000, 1001, 4001, 4003, 4004, 4005, 4006, 4007]);
const RECONNECT_DELAYS = [500, 1000, 2000, 4000, 8000, 16000];
const RECONNECT_TOTAL_MS = 30000;
const SOURCE_WORDS = { microphone: 'microphone', camera: 'camera', screen: 'screen share', screen_audio: 'screen share audio' };
const KIND_SOURCES = { audio: ['microphone'], video: ['camera'], screen: ['screen', 'screen_audio'] };

function sourceOfTrackId(id, kind) {
  const i = String(id).indexOf('-');
  const s = i > 0 ? id.slice(0, i) : '';
  if (SOURCE_WORDS[s]) return s;
  return kind === 'audio' ? 'microphone' : 'camera';
}

/** msidTrack returns the track id of the msid of the m-section mid in desc, if any. */
function msidTrack(desc, mid) {
  if (!desc || !desc.sdp) return '';
  for (const section of desc.sdp.split(/\r?\nm=/).slice(1)) {
    if (!new RegExp(`\\r?\\na=mid:${mid.replace(/[^A-Za-z0-9_-]/g, '')}\\r?\\n`).test(`\n${section}\n`)) continue;
    const m = /a=msid:\S+ (\S+)/.exec(section);
    return m ? m[1] : '';
  }
  return '';
}

/** startMeeting joins with opts from the lobby; backToLobby() runs the lobby again. */
export function startMeeting(opts, backToLobby) {
  const m = new Meeting(opts, backToLobby);
  m.start();
  return m;
}

class Meeting {
  constructor(o, backToLobby) {
    this.backToLobby = backToLobby;
    this.token = o.token;
    this.roomId = o.roomId;
    this.roomName = o.roomName;
    this.speakerUrl = o.speakerUrl || '';
    this.perms = (o.claims && o.claims.perms) || {};
    this.role = (o.claims && o.claims.role) || '';
    this.identity = (o.claims && o.claims.pid) || '';
    this.name = o.name;
    this.stream = new MediaStream(); // groups our published tracks (its id is our msid)
    this.local = new Map(); // source → {track, muted}
    if (o.audio) this.setLocal('microphone', o.audio);
    if (o.video) this.setLocal('camera', o.video);
    this.participants = new Map(); // identity → {identity, name, role, tracks: Map, muted: {}}
    this.remote = new Map(); // received track id → {identity, source, track}
    this.ws = null;
    this.link = null;
    this.resume = '';
    this.joinedOnce = false;
    this.final = null; // {state, title, detail, rejoin}
    this.leaving = false;
    this.done = false;
    this.reconnect = null;
    this.refs = new Map();
    this.refSeq = 0;
    this.recording = false;
    this.resendMutes = false;
    this.speaking = null;
    this.soundBlocked = false;
    try {
      this.debug = !!window.localStorage.getItem('conclave.debug'); // log every frame
    } catch {
      this.debug = false;
    }
    this.onPageHide = () => this.teardown(true);
    this.onOnline = () => {
      if (this.reconnect && this.reconnect.timer) {
        clearTimeout(this.reconnect.timer);
        this.reconnect.timer = 0;
        this.attempt();
      }
    };
    this.expose();
  }

  expose() {
    const self = this;
    window.conclave = {
      get pc() { return self.link ? self.link.pc : null; },
      get ws() { return self.ws; },
      get identity() { return self.identity; },
      get participants() { return self.participantList(); },
      get meeting() { return self; },
    };
  }

  participantList() {
    return [...this.participants.values()].map((p) => ({
      identity: p.identity, name: p.name, role: p.role,
      tracks: [...p.tracks.values()].map((t) => ({ ...t })),
    }));
  }

  start() {
    setState('joining');
    window.addEventListener('pagehide', this.onPageHide);
    window.addEventListener('online', this.onOnline);
    this.openSocket('');
  }

  // ---- signalling ------------------------------------------------------------------

  send(f) {
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      if (this.debug) console.debug('conclave ->', JSON.stringify(f).slice(0, 300));
      ws.send(JSON.stringify({ v: 1, ...f }));
      return true;
    }
    return false;
  }

  canSignal() {
    return !!(this.ws && this.ws.readyState === WebSocket.OPEN && this.wsJoined);
  }

  openSocket(resume) {
    let ws;
    try {
      ws = new WebSocket(signalURL(this.token, resume));
    } catch (e) {
      this.showFinal('error', 'Could not connect', String(e.message || e), true);
      return;
    }
    this.ws = ws;
    this.wsJoined = false;
    const st = { joined: false, error: null };
    ws.onmessage = (e) => {
      if (this.ws !== ws) return;
      let f;
      try {
        f = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!f || f.v !== 1) return;
      if (this.debug) console.debug('conclave <-', JSON.stringify(f).slice(0, 300));
      if (f.type === 'joined') st.joined = true;
      if (f.type === 'error' && !st.joined) st.error = f;
      try {
        this.onFrame(f);
      } catch (ex) {
        console.error('conclave: frame', f.type, ex);
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.wsJoined = false;
      this.onClose(e.code, e.reason, st);
    };
    ws.onerror = () => {}; // onclose follows with the code
  }

  onFrame(f) {
    switch (f.type) {
      case 'joined': return this.onJoined(f);
      case 'offer': return this.link && this.link.handleOffer(f.sdp);
      case 'answer': return this.link && this.link.handleAnswer(f.sdp);
      case 'participantJoined':
      case 'participantUpdated':
        this.upsert(f);
        return this.renderPeople();
      case 'participantLeft': return this.removeParticipant(f.identity);
      case 'trackPublished': return this.trackPublished(f.identity, f.track || {});
      case 'trackUnpublished': return this.trackUnpublished(f.identity, f.track || {});
      case 'trackMuted': return this.trackMuted(f);
      case 'chat': return this.addChat(f);
      case 'permissions':
        if (f.permissions) this.perms = f.permissions;
        if (f.role) this.role = f.role;
        this.toast(f.role === 'moderator' ? 'You are now a moderator' : 'Your role in this meeting changed');
        this.renderControls();
        return this.renderPeople();
      case 'muted': return this.mutedByModerator(f);
      case 'recording': return this.setRecording(!!f.active);
      case 'result': return this.onResult(f);
      case 'kicked':
        this.final = { state: 'kicked', title: 'You were removed from the meeting', detail: f.reason || 'A moderator removed you.', rejoin: false };
        return undefined;
      case 'ended':
        this.final = { state: 'ended', title: 'The meeting has ended', detail: f.reason || '', rejoin: true };
        return undefined;
      case 'goingAway':
        this.final = { state: 'goingAway', title: 'The server is going away', detail: f.reason || 'It is shutting down or restarting. Try again in a moment.', rejoin: true };
        return undefined;
      case 'error': return this.onError(f);
      default: return undefined;
    }
  }

  onJoined(f) {
    const resumed = this.joinedOnce;
    this.joinedOnce = true;
    this.wsJoined = true;
    this.identity = f.identity || this.identity;
    this.name = f.name || this.name;
    if (f.role) this.role = f.role;
    if (f.permissions) this.perms = f.permissions;
    if (f.room && f.room.roomName) this.roomName = f.room.roomName;
    this.resume = f.resume || '';
    if (this.reconnect) {
      clearTimeout(this.reconnect.timer);
      this.reconnect = null;
    }
    if (this.link) this.link.close();
    for (const r of this.remote.values()) this.detachTrack(r);
    this.remote.clear();
    this.participants.clear();
    if (!resumed) {
      this.buildUI();
    } else {
      for (const el of [...this.grid.querySelectorAll('.tile:not([data-self])')]) el.remove();
      for (const a of this.audios.values()) a.remove();
      this.audios.clear();
    }
    for (const p of f.participants || []) this.upsert(p);
    this.banner(false);
    this.setRecording(!!(f.recording && f.recording.active));
    this.renderControls();
    this.renderPeople();
    this.renderSelf();
    this.newLink((f.participants || []).some((p) => p.tracks && p.tracks.length));
    setState('meeting');
  }

  newLink(serverWillOffer) {
    this.link = new MediaLink({
      send: (fr) => this.send(fr),
      canSignal: () => this.canSignal(),
      onTrack: (e) => this.onTrack(e),
      onAnswered: () => {
        if (this.resendMutes) {
          this.resendMutes = false;
          for (const [source, l] of this.local) if (l.muted) this.send({ type: 'mute', source, muted: true });
        }
      },
    });
    // The server offers the others' tracks at once: answer that before offering ours.
    if (serverWillOffer) this.link.holdOffers(3000);
    let any = false;
    for (const [source, l] of this.local) {
      if (l.track.readyState !== 'live' || !this.mayPublish(source)) continue;
      if (!this.stream.getTrackById(l.track.id)) this.stream.addTrack(l.track);
      this.link.publish(source, l.track, this.stream);
      if (l.muted) any = true;
    }
    this.resendMutes = any;
  }

  mayPublish(source) {
    const p = this.perms;
    if (source === 'microphone') return !!p.mediaPublishAudio;
    if (source === 'camera') return !!p.mediaPublishVideo;
    return !!p.mediaShareScreen;
  }

  onError(f) {
    if (f.ref && this.refs.has(f.ref)) {
      const what = this.refs.get(f.ref);
      this.refs.delete(f.ref);
      this.modError(`${what} failed: ${f.message || f.code}`);
      return;
    }
    switch (f.code) {
      case 'glare':
        if (this.link) this.link.handleGlare();
        return;
      case 'chat_rate_limited':
      case 'chat_too_long':
      case 'chat_empty':
      case 'chat_forbidden':
        this.chatError(f.code === 'chat_rate_limited' ? 'You are sending messages too fast; wait a moment.'
          : f.code === 'chat_too_long' ? 'That message is too long (at most 2000 characters).'
            : f.message || 'The message was refused.');
        return;
      case 'media_failed':
        this.final = { state: 'error', title: 'The media connection failed', detail: f.message || 'Audio and video could not be exchanged with the server.', rejoin: true };
        return;
      default:
        if (f.code) console.warn('conclave: server error', f.code, f.message);
    }
  }

  onClose(code, reason, st) {
    if (this.done) return;
    if (this.leaving) {
      this.showFinal('left', 'You left the meeting', '', true);
      return;
    }
    if (this.final) {
      const fl = this.final;
      this.showFinal(fl.state, fl.title, fl.detail, fl.rejoin);
      return;
    }
    const ec = st.error && st.error.code;
    if (code === 4004) return this.showFinal('kicked', 'You were removed from the meeting', reason || '', false);
    if (code === 4005) return this.showFinal('ended', 'The meeting has ended', reason || '', true);
    if (code === 1001) return this.showFinal('goingAway', 'The server is going away', reason || 'It is shutting down or restarting. Try again in a moment.', true);
    if (code === 4006) return this.showFinal('error', 'The media connection failed', reason || 'Audio and video could not be exchanged with the server.', true);
    if (code === 4007) return this.showFinal('left', 'This meeting continues elsewhere', 'You joined from another tab or window, which took over this seat.', true);
    if (code === 4001 || ec === 'unauthenticated') {
      if (this.joinedOnce) {
        // The token expired while we were away: the link must be opened again.
        this.teardown(false);
        this.backToLobby();
        return;
      }
      return this.showFinal('error', 'Your access has expired', (st.error && st.error.message) || 'Open the meeting link again.', true);
    }
    if (code === 4003 || ec) {
      const msg = (st.error && st.error.message) || reason || '';
      switch (ec) {
        case 'room_closed': return this.showFinal('closed', 'This room is closed', msg, false);
        case 'already_joined': return this.showFinal('error', 'You are already in this meeting', 'This link is in use in another tab or window. Close it there, then rejoin.', true);
        case 'forbidden': return this.showFinal('denied', 'You may not join this meeting', msg, false);
        case 'not_found': return this.showFinal('notfound', 'Room not found', msg || 'This room does not exist any more.', false);
        case 'bad_resume': return this.showFinal('lost', 'Connection lost', 'The connection could not be resumed.', true);
        default: return this.showFinal('error', 'You could not join the meeting', msg, true);
      }
    }
    if (code === 1000) return this.showFinal('left', 'You left the meeting', reason || '', true);
    if (!this.joinedOnce && !this.reconnect) {
      return this.showFinal('error', 'Could not connect to the meeting', 'The connection to the server failed.', true);
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (!this.reconnect) {
      this.reconnect = { start: Date.now(), n: 0, timer: 0 };
      this.banner(true);
    }
    const rc = this.reconnect;
    const left = RECONNECT_TOTAL_MS - (Date.now() - rc.start);
    if (left <= 0) {
      this.showFinal('lost', 'Connection lost', 'The connection to the meeting could not be restored.', true);
      return;
    }
    const delay = Math.min(RECONNECT_DELAYS[Math.min(rc.n, RECONNECT_DELAYS.length - 1)], left);
    rc.n++;
    rc.timer = setTimeout(() => {
      rc.timer = 0;
      this.attempt();
    }, delay);
  }

  attempt() {
    if (this.done || !this.reconnect) return;
    this.openSocket(this.resume);
  }

  // ---- leaving ---------------------------------------------------------------------

  leave() {
    if (this.done) return;
    this.leaving = true;
    if (!this.send({ type: 'leave' })) {
      this.showFinal('left', 'You left the meeting', '', true);
      return;
    }
    // The server closes the socket (1000); do not wait for it for long.
    setTimeout(() => {
      if (!this.done) this.showFinal('left', 'You left the meeting', '', true);
    }, 1500);
  }

  showFinal(state, title, detail, rejoin) {
    this.teardown(false);
    showNotice(state, title, detail, rejoin ? [rejoinAction()] : []);
  }

  /** teardown stops every local track, the media connection and the socket. */
  teardown(unloading) {
    if (this.done) return;
    this.done = true;
    window.removeEventListener('pagehide', this.onPageHide);
    window.removeEventListener('online', this.onOnline);
    if (this.reconnect) clearTimeout(this.reconnect.timer);
    this.reconnect = null;
    if (this.resizeObs) this.resizeObs.disconnect();
    if (this.detector) this.detector.stop();
    for (const l of this.local.values()) l.track.stop();
    this.local.clear();
    if (this.link) this.link.close();
    for (const r of this.remote.values()) this.detachTrack(r);
    const ws = this.ws;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      if (unloading && ws.readyState === WebSocket.OPEN) {
        try {
          ws.send(JSON.stringify({ v: 1, type: 'leave' }));
        } catch { /* closing */ }
      }
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    }
  }

  // ---- participants ----------------------------------------------------------------

  upsert(p) {
    if (!p || !p.identity || p.identity === this.identity) return null;
    let cur = this.participants.get(p.identity);
    if (!cur) {
      cur = { identity: p.identity, name: p.identity, role: '', tracks: new Map(), muted: {} };
      this.participants.set(p.identity, cur);
    }
    if (p.name) cur.name = p.name;
    if (p.role) cur.role = p.role;
    if (Array.isArray(p.tracks)) {
      cur.tracks.clear();
      for (const t of p.tracks) {
        cur.tracks.set(t.trackId, { trackId: t.trackId, source: t.source, kind: t.kind, muted: !!t.muted });
        cur.muted[t.source] = !!t.muted;
      }
    }
    this.renderTilesOf(cur);
    return cur;
  }

  removeParticipant(identity) {
    const p = this.participants.get(identity);
    if (!p) return;
    this.participants.delete(identity);
    for (const [id, r] of this.remote) {
      if (r.identity === identity) {
        this.detachTrack(r);
        this.remote.delete(id);
      }
    }
    for (const el of this.grid.querySelectorAll('.tile')) if (el.dataset.identity === identity) el.remove();
    const a = this.audios.get(identity);
    if (a) {
      a.srcObject = null;
      a.remove();
      this.audios.delete(identity);
    }
    this.layout();
    this.renderPeople();
  }

  trackPublished(identity, t) {
    if (identity === this.identity) return;
    const p = this.upsert({ identity });
    if (!p || !t.trackId) return;
    p.tracks.set(t.trackId, { trackId: t.trackId, source: t.source, kind: t.kind, muted: !!t.muted });
    p.muted[t.source] = !!t.muted;
    this.renderTilesOf(p);
    this.renderPeople();
  }

  trackUnpublished(identity, t) {
    const p = this.participants.get(identity);
    if (!p) return;
    p.tracks.delete(t.trackId);
    delete p.muted[t.source];
    for (const [id, r] of this.remote) {
      if (r.tid === t.trackId && r.identity === identity) {
        this.detachTrack(r);
        this.remote.delete(id);
      }
    }
    this.renderTilesOf(p);
    this.renderPeople();
  }

  trackMuted(f) {
    if (f.identity === this.identity) {
      const l = this.local.get(f.source);
      if (l && l.muted !== !!f.muted && f.muted) {
        l.muted = true;
        l.track.enabled = false;
        this.renderControls();
        this.renderSelf();
      }
      return;
    }
    const p = this.participants.get(f.identity);
    if (!p) return;
    p.muted[f.source] = !!f.muted;
    for (const t of p.tracks.values()) if (t.source === f.source) t.muted = !!f.muted;
    this.renderTilesOf(p);
    this.renderPeople();
  }

  hasSource(p, source) {
    for (const t of p.tracks.values()) if (t.source === source) return true;
    for (const r of this.remote.values()) if (r.identity === p.identity && r.source === source && r.track.readyState === 'live') return true;
    return false;
  }

  // ---- remote media ----------------------------------------------------------------

  onTrack(e) {
    const track = e.track;
    // The server names the track "<source>-<mid>" in its msid; where a browser gives
    // remote tracks ids of its own, read the name from the m-section instead.
    let tid = track.id;
    if (!/^(microphone|camera|screen|screen_audio)-/.test(tid) && e.transceiver && e.transceiver.mid !== null && this.link) {
      tid = msidTrack(this.link.pc.remoteDescription, e.transceiver.mid) || tid;
    }
    let identity = e.streams && e.streams[0] ? e.streams[0].id : '';
    if (!identity) {
      for (const p of this.participants.values()) if (p.tracks.has(tid)) identity = p.identity;
    }
    if (!identity) return;
    const source = sourceOfTrackId(tid, track.kind);
    const r = { identity, source, track, tid };
    this.remote.set(track.id, r);
    const p = this.upsert({ identity });
    const stream = e.streams && e.streams[0];
    if (stream && !this.watched.has(stream)) {
      this.watched.add(stream);
      stream.addEventListener('removetrack', (ev) => {
        const x = this.remote.get(ev.track.id);
        if (x && x.track === ev.track) {
          this.detachTrack(x);
          this.remote.delete(ev.track.id);
          const q = this.participants.get(x.identity);
          if (q) this.renderTilesOf(q);
          this.renderPeople();
        }
      });
    }
    track.addEventListener('ended', () => {
      const x = this.remote.get(track.id);
      if (x && x.track === track) {
        this.detachTrack(x);
        this.remote.delete(track.id);
        const q = this.participants.get(x.identity);
        if (q) this.renderTilesOf(q);
      }
    });
    if (track.kind === 'audio') this.attachAudio(identity);
    else if (p) this.renderTilesOf(p);
    this.renderPeople();
  }

  detachTrack(r) {
    if (r.track.kind === 'audio') {
      r.gone = true;
      this.attachAudio(r.identity, r.track);
    }
  }

  /** attachAudio (re)builds the participant's <audio> from its live audio tracks. */
  attachAudio(identity, without) {
    const tracks = [...this.remote.values()]
      .filter((r) => r.identity === identity && r.track.kind === 'audio' && r.track !== without && !r.gone)
      .map((r) => r.track);
    let a = this.audios.get(identity);
    if (!tracks.length) {
      if (a) {
        a.srcObject = null;
        a.remove();
        this.audios.delete(identity);
      }
      return;
    }
    if (!a) {
      a = h('audio', { autoplay: true, dataset: { identity } });
      this.audios.set(identity, a);
      this.sinks.append(a);
    }
    a.srcObject = new MediaStream(tracks);
    const pl = a.play();
    if (pl && pl.catch) {
      pl.catch((err) => {
        if (err && err.name === 'NotAllowedError') this.blockSound(true);
      });
    }
  }

  blockSound(blocked) {
    this.soundBlocked = blocked;
    if (this.enableSound) this.enableSound.hidden = !blocked;
  }

  // ---- UI --------------------------------------------------------------------------

  buildUI() {
    this.audios = new Map();
    this.watched = new WeakSet();
    this.grid = h('section', { id: 'grid', class: 'grid', 'aria-label': 'Video of the participants' });
    this.sinks = h('div', { id: 'audio-sinks', hidden: true });
    this.recordingEl = h('div', { id: 'recording-indicator', class: 'recording', role: 'status', hidden: true },
      h('span', { class: 'rec-dot', 'aria-hidden': 'true' }), 'Recording');
    this.bannerEl = h('div', { id: 'reconnecting', class: 'banner', role: 'status', hidden: true }, 'Reconnecting…');
    this.enableSound = h('button', { id: 'enable-sound', type: 'button', class: 'primary', hidden: true, text: 'Click to enable sound', on: { click: () => this.unblockSound() } });
    this.countEl = h('span', { class: 'count', 'aria-live': 'polite' });
    this.toasts = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    this.modErr = h('p', { id: 'moderation-error', class: 'form-error', role: 'alert' });

    // Controls.
    // The visible label is short; the accessible name says it in full and contains it.
    const btn = (id, ico, label, short, onClick, extra = {}) => h('button', { id, type: 'button', class: 'control', 'aria-label': label, title: label, on: { click: onClick }, ...extra },
      icon(ico), h('span', { class: 'label', text: short }));
    this.btnAudio = btn('toggle-audio', 'mic', 'Mute microphone', 'Mute', () => this.toggle('microphone'));
    this.btnVideo = btn('toggle-video', 'camera', 'Stop camera', 'Stop camera', () => this.toggle('camera'));
    this.btnScreen = btn('toggle-screen', 'screen', 'Share screen', 'Share screen', () => this.toggleScreen());
    this.btnLink = btn('copy-speaker-link', 'link', 'Copy speaker link', 'Speaker link', () => this.copyLink());
    this.btnEnd = btn('end-meeting', 'end', 'End meeting', 'End meeting', () => this.confirmEnd(), { class: 'control danger' });
    this.btnSide = btn('toggle-side', 'chat', 'Chat and people', 'Chat', () => this.toggleSide(), { 'aria-controls': 'side', 'aria-expanded': 'false' });
    this.btnLeave = btn('leave', 'leave', 'Leave meeting', 'Leave', () => this.leave(), { class: 'control danger' });
    this.linkBox = h('div', { class: 'link-box', hidden: true });

    // Side panel: people and chat.
    this.peopleEl = h('ul', { id: 'participants', class: 'people' });
    this.chatLog = h('ol', { id: 'chat-log', class: 'chat-log', 'aria-live': 'polite', 'aria-label': 'Chat messages' });
    this.chatInput = h('textarea', { id: 'chat-input', rows: 2, 'aria-label': 'Chat message', placeholder: 'Write a message; Enter sends' });
    this.chatSend = h('button', { id: 'chat-send', type: 'submit', class: 'primary', text: 'Send' });
    this.chatErr = h('p', { id: 'chat-error', class: 'form-error', role: 'alert' });
    this.chatForm = h('form', { class: 'chat-form', on: { submit: (e) => { e.preventDefault(); this.sendChat(); } } },
      this.chatInput, this.chatSend);
    this.chatInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.sendChat();
      }
    });
    this.chatInput.addEventListener('input', () => { this.chatErr.textContent = ''; });
    this.chatSection = h('section', { class: 'panel chat', 'aria-labelledby': 'chat-title' },
      h('h2', { id: 'chat-title', text: 'Chat' }), this.chatLog, this.chatErr, this.chatForm);
    this.side = h('aside', { id: 'side', class: 'side', 'aria-label': 'People and chat' },
      h('section', { class: 'panel people-panel', 'aria-labelledby': 'people-title' },
        h('h2', { id: 'people-title' }, 'People ', this.countEl), this.modErr, this.peopleEl),
      this.chatSection);

    this.dialog = null;
    const page = h('div', { class: 'meeting' },
      h('header', { class: 'topbar' },
        h('h1', { class: 'room-name', text: this.roomName }),
        this.recordingEl),
      this.bannerEl,
      h('div', { class: 'stage' }, h('main', { class: 'grid-wrap' }, this.grid), this.side),
      h('footer', { class: 'controls', 'aria-label': 'Meeting controls' },
        h('div', { class: 'group' }, this.btnAudio, this.btnVideo, this.btnScreen),
        h('div', { class: 'group' }, this.btnLink, this.btnEnd, this.btnSide),
        h('div', { class: 'group' }, this.btnLeave)),
      this.linkBox, this.enableSound, this.toasts, this.sinks);
    mount(page);
    document.title = this.roomName + ' · Conclave';
    if (window.matchMedia && window.matchMedia('(max-width: 640px)').matches) this.side.classList.add('closed');
    this.btnSide.setAttribute('aria-expanded', String(!this.side.classList.contains('closed')));
    if (typeof ResizeObserver === 'function') {
      this.resizeObs = new ResizeObserver(() => this.layout());
      this.resizeObs.observe(this.grid);
    }
    this.detector = new SpeakerDetector({
      getPC: () => (this.link ? this.link.pc : null),
      identityOf: (trackId) => { const r = this.remote.get(trackId); return r ? r.identity : ''; },
      selfIdentity: () => this.identity,
      selfTrack: () => { const l = this.local.get('microphone'); return l && !l.muted && l.track.readyState === 'live' ? l.track : null; },
      onChange: (id) => this.setSpeaking(id),
    });
    this.btnAudio.focus();
  }

  unblockSound() {
    for (const a of this.audios.values()) a.play().catch(() => {});
    this.blockSound(false);
  }

  toggleSide() {
    const closed = this.side.classList.toggle('closed');
    this.btnSide.setAttribute('aria-expanded', String(!closed));
    this.layout();
  }

  banner(on) {
    if (this.bannerEl) this.bannerEl.hidden = !on;
  }

  setRecording(active) {
    this.recording = active;
    if (this.recordingEl) this.recordingEl.hidden = !active;
  }

  toast(text) {
    if (!this.toasts) return;
    const t = h('p', { class: 'toast', text });
    this.toasts.append(t);
    setTimeout(() => t.remove(), 6000);
  }

  setSpeaking(id) {
    this.speaking = id;
    if (!this.grid) return;
    for (const el of this.grid.querySelectorAll('.tile')) {
      el.classList.toggle('speaking', !!id && el.dataset.identity === id && el.dataset.source === 'camera');
    }
  }

  renderControls() {
    if (!this.btnAudio) return;
    const p = this.perms;
    const setBtn = (b, label, pressed, short = label) => {
      b.setAttribute('aria-label', label);
      b.title = label;
      b.querySelector('.label').textContent = short;
      if (pressed !== undefined) b.setAttribute('aria-pressed', String(pressed));
    };
    const mic = this.local.get('microphone');
    const micOn = !!(mic && !mic.muted && mic.track.readyState === 'live');
    this.btnAudio.hidden = !p.mediaPublishAudio;
    this.btnAudio.dataset.on = String(micOn);
    setBtn(this.btnAudio, micOn ? 'Mute microphone' : 'Unmute microphone', !micOn, micOn ? 'Mute' : 'Unmute');
    const cam = this.local.get('camera');
    const camOn = !!(cam && !cam.muted && cam.track.readyState === 'live');
    this.btnVideo.hidden = !p.mediaPublishVideo;
    this.btnVideo.dataset.on = String(camOn);
    setBtn(this.btnVideo, camOn ? 'Stop camera' : 'Start camera', !camOn);
    const scr = this.local.get('screen');
    const sharing = !!(scr && scr.track.readyState === 'live');
    this.btnScreen.hidden = !p.mediaShareScreen || !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    this.btnScreen.dataset.on = String(sharing);
    setBtn(this.btnScreen, sharing ? 'Stop sharing' : 'Share screen', sharing);
    this.btnEnd.hidden = !p.meetingEnd;
    this.btnLink.hidden = !(p.roomShareAccessLinks && this.speakerUrl);
    if (this.btnLink.hidden) this.linkBox.hidden = true;
    this.chatSection.hidden = !p.chatRead;
    this.chatForm.hidden = !p.chatWrite;
    if (!p.chatRead && !this.side.classList.contains('closed')) this.layout();
  }

  // ---- tiles -----------------------------------------------------------------------

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

  renderTilesOf(p) {
    if (!this.grid) return;
    const find = (source) => {
      for (const r of this.remote.values()) {
        if (r.identity === p.identity && r.source === source && r.track.readyState === 'live') return r.track;
      }
      return null;
    };
    const micPublished = this.hasSource(p, 'microphone');
    this.setTile(this.tile(p.identity, 'camera', false), p.name, find('camera'), {
      videoOff: !!p.muted.camera,
      micOff: !micPublished || !!p.muted.microphone,
    });
    const screen = find('screen');
    const screenEl = this.grid.querySelector(`.tile[data-identity="${CSS.escape(p.identity)}"][data-source="screen"]`);
    if (screen && !p.muted.screen) {
      this.setTile(this.tile(p.identity, 'screen', false), p.name, screen, { label: `${p.name} (screen)` });
    } else if (screenEl) {
      screenEl.remove();
      this.layout();
    }
  }

  renderSelf() {
    if (!this.grid) return;
    const cam = this.local.get('camera');
    const mic = this.local.get('microphone');
    this.setTile(this.tile(this.identity, 'camera', true), this.name, cam && cam.track.readyState === 'live' ? cam.track : null, {
      label: `${this.name} (you)`, mirror: true, videoOff: !cam || cam.muted,
      micOff: !mic || mic.muted,
    });
    const scr = this.local.get('screen');
    const el = this.grid.querySelector(`.tile[data-self][data-source="screen"]`);
    if (scr && scr.track.readyState === 'live') {
      this.setTile(this.tile(this.identity, 'screen', true), this.name, scr.track, { label: 'Your screen' });
    } else if (el) {
      el.remove();
      this.layout();
    }
  }

  /** layout picks the number of columns that gives 16:9 tiles the most room. */
  layout() {
    if (!this.grid) return;
    const tiles = [...this.grid.children];
    const screens = tiles.filter((t) => t.classList.contains('screen')).length;
    this.grid.classList.toggle('has-screen', screens > 0);
    const n = tiles.length - screens;
    const W = this.grid.clientWidth;
    const H = this.grid.clientHeight;
    if (!n || !W || !H) return;
    const gap = 8;
    let best = 1;
    let bestW = 0;
    const availH = screens ? H * 0.3 : H;
    for (let c = 1; c <= n; c++) {
      const r = Math.ceil(n / c);
      const w = Math.min((W - gap * (c - 1)) / c, ((availH - gap * (r - 1)) / r) * 16 / 9);
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
      const strip = rows * (tileW * 9 / 16) + rows * gap;
      const each = Math.max(120, Math.floor((H - strip - gap * (screens - 1)) / screens));
      this.grid.style.setProperty('--screen-h', each + 'px');
    }
  }

  // ---- participant list ------------------------------------------------------------

  renderPeople() {
    if (!this.peopleEl) return;
    const p = this.perms;
    const rows = [];
    const state = (micOn, camOn) => h('span', { class: 'media-state' },
      h('span', { class: 'state ' + (micOn ? 'on' : 'off'), text: micOn ? 'mic on' : 'mic off' }),
      h('span', { class: 'state ' + (camOn ? 'on' : 'off'), text: camOn ? 'camera on' : 'camera off' }));
    const badge = (role) => (role === 'moderator' ? h('span', { class: 'badge', text: 'moderator' }) : null);
    const mic = this.local.get('microphone');
    const cam = this.local.get('camera');
    rows.push(h('li', { dataset: { identity: this.identity, self: '' } },
      h('span', { class: 'person' }, h('span', { class: 'person-name', text: `${this.name} (you)` }), badge(this.role)),
      state(!!(mic && !mic.muted), !!(cam && !cam.muted))));
    const others = [...this.participants.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const o of others) {
      const micOn = this.hasSource(o, 'microphone') && !o.muted.microphone;
      const camOn = this.hasSource(o, 'camera') && !o.muted.camera;
      const screenOn = this.hasSource(o, 'screen') && !o.muted.screen;
      const act = (action, label) => h('button', {
        type: 'button', class: 'small', dataset: { action }, text: label, 'aria-label': `${label}: ${o.name}`,
        on: { click: () => this.moderate(action, o) },
      });
      const actions = [];
      if (p.participantMute && micOn) actions.push(act('mute-audio', 'Mute'));
      if (p.participantMute && camOn) actions.push(act('mute-video', 'Stop video'));
      if (p.participantMute && screenOn) actions.push(act('mute-screen', 'Stop screen'));
      if (p.participantPromote) {
        if (o.role === 'moderator') actions.push(act('demote', 'Make speaker'));
        else actions.push(act('promote', 'Make moderator'));
      }
      if (p.participantKick) actions.push(act('kick', 'Remove'));
      rows.push(h('li', { dataset: { identity: o.identity } },
        h('span', { class: 'person' }, h('span', { class: 'person-name', text: o.name }), badge(o.role)),
        state(micOn, camOn),
        actions.length ? h('span', { class: 'actions' }, actions) : null));
    }
    this.peopleEl.replaceChildren(...rows);
    this.countEl.textContent = `(${rows.length})`;
  }

  moderate(action, o) {
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
    this.modErr.textContent = '';
    this.refs.set(ref, what);
    if (!this.send({ ...frame, ref })) {
      this.refs.delete(ref);
      this.modError(`${what} failed: not connected`);
    }
  }

  onResult(f) {
    if (this.refs.has(f.ref)) this.refs.delete(f.ref);
  }

  modError(text) {
    this.modErr.textContent = text;
    this.toast(text);
  }

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

  // ---- chat ------------------------------------------------------------------------

  sendChat() {
    const text = this.chatInput.value.trim();
    if (!text) return;
    this.chatErr.textContent = '';
    if (!this.send({ type: 'chat', text })) {
      this.chatError('Not connected: the message was not sent.');
      return;
    }
    this.lastChat = text;
    this.chatInput.value = '';
  }

  chatError(text) {
    this.chatErr.textContent = text;
    if (this.lastChat && !this.chatInput.value) this.chatInput.value = this.lastChat;
    this.lastChat = '';
  }

  addChat(f) {
    if (!this.chatLog) return;
    if (f.from === this.identity) this.lastChat = '';
    const near = this.chatLog.scrollHeight - this.chatLog.scrollTop - this.chatLog.clientHeight < 40;
    const li = h('li', { class: 'chat-message' + (f.from === this.identity ? ' own' : ''), dataset: { from: f.from || '' } },
      h('span', { class: 'chat-meta' },
        h('span', { class: 'chat-name', text: f.name || f.from || '' }),
        h('time', { class: 'chat-time', datetime: new Date(f.time || Date.now()).toISOString(), text: formatTime(f.time || Date.now()) })),
      h('span', { class: 'chat-text', text: f.text || '' }));
    this.chatLog.append(li);
    if (near || f.from === this.identity) this.chatLog.scrollTop = this.chatLog.scrollHeight;
    if (this.side.classList.contains('closed') && f.from !== this.identity) this.toast(`${f.name}: ${f.text}`.slice(0, 140));
  }

  // ---- own media -------------------------------------------------------------------

  async toggle(source) {
    const l = this.local.get(source);
    if (!l || l.track.readyState !== 'live') {
      // Nothing to unmute: ask for the device now.
      const kind = source === 'microphone' ? 'audio' : 'video';
      let track;
      try {
        const s = await navigator.mediaDevices.getUserMedia({ [kind]: true });
        track = s.getTracks()[0];
      } catch (e) {
        this.toast(e && e.name === 'NotAllowedError' ? `Access to your ${SOURCE_WORDS[source]} was denied.` : `No usable ${SOURCE_WORDS[source]} was found.`);
        return;
      }
      if (this.done) {
        track.stop();
        return;
      }
      this.setLocal(source, track);
      this.addLocal(source, track);
      this.send({ type: 'mute', source, muted: false });
    } else {
      l.muted = !l.muted;
      l.track.enabled = !l.muted;
      this.send({ type: 'mute', source, muted: l.muted });
    }
    this.renderControls();
    this.renderSelf();
    this.renderPeople();
  }

  /** setLocal records our track of source and notices when the device goes away. */
  setLocal(source, track) {
    this.local.set(source, { track, muted: false });
    track.addEventListener('ended', () => {
      const l = this.local.get(source);
      if (this.done || !l || l.track !== track) return;
      if (source === 'screen' || source === 'screen_audio') {
        this.stopScreen();
        return;
      }
      // The device was unplugged or its permission withdrawn.
      this.local.delete(source);
      if (this.stream.getTrackById(track.id)) this.stream.removeTrack(track);
      if (this.link) this.link.unpublish(source);
      this.toast(`Your ${SOURCE_WORDS[source]} stopped`);
      this.renderControls();
      this.renderSelf();
      this.renderPeople();
    });
  }

  addLocal(source, track) {
    if (!this.stream.getTrackById(track.id)) this.stream.addTrack(track);
    if (this.link) this.link.publish(source, track, this.stream);
  }

  async toggleScreen() {
    const cur = this.local.get('screen');
    if (cur && cur.track.readyState === 'live') {
      this.stopScreen();
      return;
    }
    let s;
    try {
      s = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: true });
    } catch (e) {
      if (e && e.name !== 'NotAllowedError' && e.name !== 'AbortError') this.toast('The screen could not be shared.');
      return;
    }
    if (this.done) {
      s.getTracks().forEach((t) => t.stop());
      return;
    }
    const v = s.getVideoTracks()[0];
    const a = s.getAudioTracks()[0];
    if (!v) return;
    if ('contentHint' in v) v.contentHint = 'detail';
    this.setLocal('screen', v);
    this.addLocal('screen', v);
    if (a && this.mayPublish('screen_audio')) {
      this.setLocal('screen_audio', a);
      this.addLocal('screen_audio', a);
    } else if (a) {
      a.stop();
    }
    this.renderControls();
    this.renderSelf();
  }

  stopScreen() {
    for (const source of ['screen', 'screen_audio']) {
      const l = this.local.get(source);
      if (!l) continue;
      this.local.delete(source);
      l.track.stop();
      if (this.stream.getTrackById(l.track.id)) this.stream.removeTrack(l.track);
      if (this.link) this.link.unpublish(source);
    }
    if (this.done) return;
    this.renderControls();
    this.renderSelf();
  }

  mutedByModerator(f) {
    const sources = f.source ? [f.source] : KIND_SOURCES[f.kind] || [];
    let told = false;
    for (const source of sources) {
      const l = this.local.get(source);
      if (!l) continue;
      if (source === 'screen' || source === 'screen_audio') {
        this.stopScreen();
        if (!told) this.toast('A moderator stopped your screen share');
        told = true;
        continue;
      }
      if (!l.muted) {
        l.muted = true;
        l.track.enabled = false;
      }
      if (!told) this.toast(`A moderator muted your ${SOURCE_WORDS[source]}`);
      told = true;
    }
    this.renderControls();
    this.renderSelf();
    this.renderPeople();
  }
}
