// The roster: the other participants (name, meeting role, published tracks and their mute
// state) from the signalling frames, and the remote tracks the media connection receives,
// matched to their publisher and source. Views are told what changed through callbacks.

const SOURCES = { microphone: true, camera: true, screen: true, screen_audio: true };

function sourceOfTrackId(id, kind) {
  const i = String(id).indexOf('-');
  const s = i > 0 ? id.slice(0, i) : '';
  if (SOURCES[s]) return s;
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

export class Roster {
  /**
   * self() is our identity (never listed); remoteDescription() the media connection's
   * current remote description (or null). onPerson(p) redraws p's tiles, onPeople() the
   * participant list; onAudio(identity, tracks) gets the live audio tracks of identity each
   * time they change; onLeft(identity) runs when a participant left.
   */
  constructor({ self, remoteDescription, onPerson, onPeople, onAudio, onLeft }) {
    this.self = self;
    this.remoteDescription = remoteDescription;
    this.onPerson = onPerson;
    this.onPeople = onPeople;
    this.onAudio = onAudio;
    this.onLeft = onLeft;
    this.participants = new Map(); // identity → {identity, name, role, tracks: Map, muted: {}}
    this.remote = new Map(); // received track id → {identity, source, track, tid}
    this.watched = new WeakSet(); // streams whose removetrack we listen to
  }

  /** list is a copy of the participants, for tests and debugging. */
  list() {
    return [...this.participants.values()].map((p) => ({
      identity: p.identity, name: p.name, role: p.role, connecting: p.connecting, hand: p.hand,
      tracks: [...p.tracks.values()].map((t) => ({ ...t })),
    }));
  }

  /** release lets go of every remote track's sound (the media connection is closing). */
  release() {
    for (const r of this.remote.values()) this.detach(r);
  }

  /** clear forgets everyone and every remote track (a new `joined` lists them again). */
  clear() {
    this.release();
    this.remote.clear();
    this.participants.clear();
  }

  /**
   * handle takes the frames about the others (participantJoined, participantUpdated,
   * participantLeft, trackPublished, trackUnpublished, trackMuted); false for any other.
   */
  handle(f) {
    switch (f.type) {
      case 'participantJoined':
        this.upsert(f, true);
        this.onPeople();
        return true;
      case 'participantUpdated':
        // Its tracks are a snapshot that may be older than a trackPublished just
        // received: tracks are followed by trackPublished and trackUnpublished only.
        this.upsert({ ...f, tracks: undefined }, true);
        this.onPeople();
        return true;
      case 'participantLeft': this.remove(f.identity); return true;
      case 'trackPublished': this.trackPublished(f.identity, f.track || {}); return true;
      case 'trackUnpublished': this.trackUnpublished(f.identity, f.track || {}); return true;
      case 'trackMuted':
        if (f.identity === this.self()) return false; // about our own media
        this.trackMuted(f);
        return true;
      default: return false;
    }
  }

  /**
   * upsert records participant p and redraws its tiles. whole says p is a whole
   * participant object (joined's list, participantJoined, participantUpdated), whose
   * flags left out are false, rather than a mere identity; its tracks, when listed,
   * replace those known.
   */
  upsert(p, whole = false) {
    if (!p || !p.identity || p.identity === this.self()) return null;
    let cur = this.participants.get(p.identity);
    if (!cur) {
      cur = { identity: p.identity, name: p.identity, role: '', tracks: new Map(), muted: {}, connecting: false, hand: false };
      this.participants.set(p.identity, cur);
    }
    if (p.name) cur.name = p.name;
    if (p.role) cur.role = p.role;
    if (whole) {
      cur.connecting = !!p.connecting;
      cur.hand = !!p.handRaised;
    }
    if (Array.isArray(p.tracks)) {
      cur.tracks.clear();
      for (const t of p.tracks || []) {
        cur.tracks.set(t.trackId, { trackId: t.trackId, source: t.source, kind: t.kind, muted: !!t.muted });
        cur.muted[t.source] = !!t.muted;
      }
    }
    this.onPerson(cur);
    return cur;
  }

  remove(identity) {
    const p = this.participants.get(identity);
    if (!p) return;
    this.participants.delete(identity);
    for (const [id, r] of this.remote) {
      if (r.identity === identity) {
        this.detach(r);
        this.remote.delete(id);
      }
    }
    this.onLeft(identity);
    this.onPeople();
  }

  trackPublished(identity, t) {
    if (identity === this.self()) return;
    const p = this.upsert({ identity });
    if (!p || !t.trackId) return;
    p.tracks.set(t.trackId, { trackId: t.trackId, source: t.source, kind: t.kind, muted: !!t.muted });
    p.muted[t.source] = !!t.muted;
    this.onPerson(p);
    this.onPeople();
  }

  trackUnpublished(identity, t) {
    const p = this.participants.get(identity);
    if (!p) return;
    p.tracks.delete(t.trackId);
    delete p.muted[t.source];
    for (const [id, r] of this.remote) {
      if (r.tid === t.trackId && r.identity === identity) {
        this.detach(r);
        this.remote.delete(id);
      }
    }
    this.onPerson(p);
    this.onPeople();
  }

  /** trackMuted records another participant's `trackMuted`. */
  trackMuted(f) {
    const p = this.participants.get(f.identity);
    if (!p) return;
    p.muted[f.source] = !!f.muted;
    for (const t of p.tracks.values()) if (t.source === f.source) t.muted = !!f.muted;
    this.onPerson(p);
    this.onPeople();
  }

  /** hasSource says whether p publishes source (announced, or received and live). */
  hasSource(p, source) {
    for (const t of p.tracks.values()) if (t.source === source) return true;
    for (const r of this.remote.values()) if (r.identity === p.identity && r.source === source && r.track.readyState === 'live') return true;
    return false;
  }

  /** liveTrack is the live received track of identity's source, or null. */
  liveTrack(identity, source) {
    for (const r of this.remote.values()) {
      if (r.identity === identity && r.source === source && r.track.readyState === 'live') return r.track;
    }
    return null;
  }

  /** tiles is what p's tiles show: {camera, videoOff, micOff, screen} (tracks or null). */
  tiles(p) {
    const screen = this.liveTrack(p.identity, 'screen');
    return {
      camera: this.liveTrack(p.identity, 'camera'),
      videoOff: !!p.muted.camera,
      micOff: !this.hasSource(p, 'microphone') || !!p.muted.microphone,
      screen: screen && !p.muted.screen ? screen : null,
      connecting: p.connecting,
      hand: p.hand,
    };
  }

  /** media is the state of p's media for the participant list: {micOn, camOn, screenOn, connecting, hand}. */
  media(p) {
    return {
      connecting: p.connecting,
      hand: p.hand,
      micOn: this.hasSource(p, 'microphone') && !p.muted.microphone,
      camOn: this.hasSource(p, 'camera') && !p.muted.camera,
      screenOn: this.hasSource(p, 'screen') && !p.muted.screen,
    };
  }

  /** identityOf is the publisher of a received track id, or ''. */
  identityOf(trackId) {
    const r = this.remote.get(trackId);
    return r ? r.identity : '';
  }

  /** addTrack takes a remote track of the media connection (its track event). */
  addTrack(e) {
    const track = e.track;
    // The server names the track "<source>-<mid>" in its msid; where a browser gives
    // remote tracks ids of its own, read the name from the m-section instead.
    let tid = track.id;
    if (!/^(microphone|camera|screen|screen_audio)-/.test(tid) && e.transceiver && e.transceiver.mid !== null) {
      tid = msidTrack(this.remoteDescription(), e.transceiver.mid) || tid;
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
          this.detach(x);
          this.remote.delete(ev.track.id);
          const q = this.participants.get(x.identity);
          if (q) this.onPerson(q);
          this.onPeople();
        }
      });
    }
    track.addEventListener('ended', () => {
      const x = this.remote.get(track.id);
      if (x && x.track === track) {
        this.detach(x);
        this.remote.delete(track.id);
        const q = this.participants.get(x.identity);
        if (q) this.onPerson(q);
      }
    });
    if (track.kind === 'audio') this.audioOf(identity);
    else if (p) this.onPerson(p);
    this.onPeople();
  }

  detach(r) {
    if (r.track.kind === 'audio') {
      r.gone = true;
      this.audioOf(r.identity, r.track);
    }
  }

  /** audioOf hands on the live audio tracks of identity (but without). */
  audioOf(identity, without) {
    const tracks = [...this.remote.values()]
      .filter((r) => r.identity === identity && r.track.kind === 'audio' && r.track !== without && !r.gone)
      .map((r) => r.track);
    this.onAudio(identity, tracks);
  }
}
