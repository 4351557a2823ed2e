// Our own media: the microphone, camera and screen share we publish, their mute state, and
// what a moderator or the server does to them. Tracks are published on the current
// MediaLink (rtc.js); the page is told to redraw through onChange.

const SOURCE_WORDS = { microphone: 'microphone', camera: 'camera', screen: 'screen share', screen_audio: 'screen share audio' };
const KIND_SOURCES = { audio: ['microphone'], video: ['camera'], screen: ['screen', 'screen_audio'] };

export class Devices {
  /**
   * audio and video are the lobby's tracks (or null); perms() the permissions that apply
   * now; link() the current MediaLink (or null); send(frame) sends a signalling frame;
   * toast(text) tells the user; onChange(people) asks to redraw the controls and our own
   * tiles, and the participant list too when people is true.
   */
  constructor({ audio, video, audioMuted, videoMuted, perms, link, send, toast, onChange }) {
    this.perms = perms;
    this.link = link;
    this.send = send;
    this.toast = toast;
    this.onChange = onChange;
    this.stream = new MediaStream(); // groups our published tracks (its id is our msid)
    this.local = new Map(); // source → {track, muted}
    this.stopped = false;
    this.resendMutes = false;
    if (audio) this.setLocal('microphone', audio, audioMuted);
    if (video) this.setLocal('camera', video, videoMuted);
  }

  /** get returns {track, muted} of our source, if we have one. */
  get(source) {
    return this.local.get(source);
  }

  /** tiles is what our own tiles show: {camera, videoOff, micOff, screen} (tracks or null). */
  tiles() {
    const live = (l) => (l && l.track.readyState === 'live' ? l.track : null);
    const cam = this.local.get('camera');
    const mic = this.local.get('microphone');
    return { camera: live(cam), videoOff: !cam || cam.muted, micOff: !mic || mic.muted, screen: live(this.local.get('screen')) };
  }

  /** media is the state of our microphone and camera for the participant list. */
  media() {
    const mic = this.local.get('microphone');
    const cam = this.local.get('camera');
    return { micOn: !!(mic && !mic.muted), camOn: !!(cam && !cam.muted) };
  }

  /** speakingTrack is our microphone while it is live and unmuted, for the speaker detector. */
  speakingTrack() {
    const l = this.local.get('microphone');
    return l && !l.muted && l.track.readyState === 'live' ? l.track : null;
  }

  mayPublish(source) {
    const p = this.perms();
    if (source === 'microphone') return !!p.mediaPublishAudio;
    if (source === 'camera') return !!p.mediaPublishVideo;
    return !!p.mediaShareScreen;
  }

  /** publishAll publishes every live track we may publish on a new media connection. */
  publishAll(link) {
    let any = false;
    for (const [source, l] of this.local) {
      if (l.track.readyState !== 'live' || !this.mayPublish(source)) continue;
      if (!this.stream.getTrackById(l.track.id)) this.stream.addTrack(l.track);
      link.publish(source, l.track, this.stream);
      if (l.muted) any = true;
    }
    this.resendMutes = any;
  }

  /** answered runs after the server answered our offer: the new connection's mutes are told. */
  answered() {
    if (this.resendMutes) {
      this.resendMutes = false;
      for (const [source, l] of this.local) if (l.muted) this.send({ type: 'mute', source, muted: true });
    }
  }

  /** toggle mutes or unmutes the microphone or camera, asking for the device when there is none. */
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
      if (this.stopped) {
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
    this.onChange(true);
  }

  /** setLocal records our track of source and notices when the device goes away. */
  setLocal(source, track, muted = false) {
    this.local.set(source, { track, muted });
    track.enabled = !muted;
    track.addEventListener('ended', () => {
      const l = this.local.get(source);
      if (this.stopped || !l || l.track !== track) return;
      if (source === 'screen' || source === 'screen_audio') {
        this.stopScreen();
        return;
      }
      // The device was unplugged or its permission withdrawn.
      this.local.delete(source);
      if (this.stream.getTrackById(track.id)) this.stream.removeTrack(track);
      const link = this.link();
      if (link) link.unpublish(source);
      this.toast(`Your ${SOURCE_WORDS[source]} stopped`);
      this.onChange(true);
    });
  }

  addLocal(source, track) {
    if (!this.stream.getTrackById(track.id)) this.stream.addTrack(track);
    const link = this.link();
    return link ? link.publish(source, track, this.stream) : Promise.resolve();
  }

  /** deviceId is the device our live track of source (microphone, camera) comes from, or ''. */
  deviceId(source) {
    const l = this.local.get(source);
    return l && l.track.readyState === 'live' && l.track.getSettings ? l.track.getSettings().deviceId || '' : '';
  }

  /**
   * switchDevice takes source (microphone or camera) from device id instead, keeping its
   * mute state: the new track replaces the old one on the same sender, so nobody sees the
   * participant leave or renegotiates. Resolves false (after telling the user) on failure.
   */
  async switchDevice(source, id) {
    const kind = source === 'microphone' ? 'audio' : 'video';
    const old = this.local.get(source);
    if (old && old.track.readyState === 'live' && this.deviceId(source) === id) return true;
    let track;
    try {
      const s = await navigator.mediaDevices.getUserMedia({ [kind]: { deviceId: { exact: id } } });
      track = s.getTracks()[0];
    } catch (e) {
      this.toast(e && e.name === 'NotAllowedError' ? `Access to that ${SOURCE_WORDS[source]} was denied.` : `That ${SOURCE_WORDS[source]} could not be used.`);
      return false;
    }
    if (this.stopped) {
      track.stop();
      return false;
    }
    const muted = !!(old && old.muted);
    if (old) {
      this.local.delete(source); // so that its ended event is not taken for an unplug
      if (this.stream.getTrackById(old.track.id)) this.stream.removeTrack(old.track);
    }
    this.setLocal(source, track);
    const l = this.local.get(source);
    l.muted = muted;
    track.enabled = !muted;
    try {
      await this.addLocal(source, track);
    } catch (e) {
      console.warn('conclave: switching device', e);
    }
    if (old) old.track.stop();
    else this.send({ type: 'mute', source, muted: false });
    this.onChange(true);
    return true;
  }

  /** toggleScreen starts sharing the screen (with its audio when allowed) or stops it. */
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
    if (this.stopped) {
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
    this.onChange(false);
  }

  stopScreen() {
    for (const source of ['screen', 'screen_audio']) {
      const l = this.local.get(source);
      if (!l) continue;
      this.local.delete(source);
      l.track.stop();
      if (this.stream.getTrackById(l.track.id)) this.stream.removeTrack(l.track);
      const link = this.link();
      if (link) link.unpublish(source);
    }
    if (this.stopped) return;
    this.onChange(false);
  }

  /** mutedByModerator handles the `muted` frame: a moderator muted one of our sources. */
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
    this.onChange(true);
  }

  /** mutedByServer handles `trackMuted` about ourselves: a mute is followed, an unmute not. */
  mutedByServer(source, muted) {
    const l = this.local.get(source);
    if (l && l.muted !== !!muted && muted) {
      l.muted = true;
      l.track.enabled = false;
      this.onChange(false);
    }
  }

  /** stop stops every local track, for good. */
  stop() {
    this.stopped = true;
    for (const l of this.local.values()) l.track.stop();
    this.local.clear();
  }
}
