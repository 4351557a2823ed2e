// The meeting: wires the signalling connection (docs/signalling.md, protocol v1), the media
// connection (rtc.js), the roster and our devices to the parts of the page. Each concern is
// a module of its own taking callbacks; this one routes frames and events between them and
// decides when the meeting is over.

import { signalURL } from './api.js';
import { Chat } from './chat.js';
import { Controls } from './controls.js';
import { Devices } from './devices.js';
import { rejoinAction, setState, showNotice } from './dom.js';
import { GAVE_UP, LEFT, closeEnding, connectFailed, frameEnding } from './ending.js';
import { Layout } from './layout.js';
import { Moderation } from './moderation.js';
import { Page } from './page.js';
import { People } from './people.js';
import { Roster } from './roster.js';
import { MediaLink } from './rtc.js';
import { Settings } from './settings.js';
import { Signalling, framesLogged } from './signalling.js';
import { Sound } from './sound.js';

/** startMeeting joins with opts from the lobby; backToLobby() runs the lobby again. */
export function startMeeting(opts, backToLobby) {
  const m = new Meeting(opts, backToLobby);
  m.start();
  return m;
}

class Meeting {
  constructor(o, backToLobby) {
    this.backToLobby = backToLobby;
    this.roomId = o.roomId;
    this.roomName = o.roomName;
    this.perms = (o.claims && o.claims.perms) || {};
    this.role = (o.claims && o.claims.role) || '';
    this.identity = (o.claims && o.claims.pid) || '';
    this.name = o.name;
    this.link = null; // the MediaLink of the current connection
    this.joinedOnce = false;
    this.final = null; // the notice a frame announced before the server closes
    this.leaving = false;
    this.done = false;
    this.built = false; // the page is mounted (at the first `joined`)
    this.endpoint = null; // where our media goes: {udpPort, addresses} of `joined`
    this.mediaProblem = ''; // why our media could not connect, once that is known
    this.hand = false; // our hand is raised, as the server last said
    const send = (f) => this.sig.send(f);
    const toast = (text) => this.page.toast(text);
    const self = () => this.identity;
    const perms = () => this.perms;

    this.sig = new Signalling({
      url: (resume) => signalURL(o.token, resume),
      debug: framesLogged(),
      onFrame: (f) => this.onFrame(f),
      onClose: (c) => this.onClose(c),
      onRetrying: () => this.page.banner(true),
      onGiveUp: () => this.showFinal(GAVE_UP),
      onFail: (e) => this.showFinal(connectFailed(e)),
    });
    this.devices = new Devices({
      audio: o.audio, video: o.video, audioMuted: !!o.audioMuted, videoMuted: !!o.videoMuted, perms, link: () => this.link, send, toast,
      onChange: (people) => {
        this.renderControls();
        this.renderSelf();
        if (people) this.renderPeople();
      },
    });
    const layout = this.layout = new Layout();
    const sound = this.sound = new Sound();
    this.roster = new Roster({
      self,
      remoteDescription: () => (this.link ? this.link.pc.remoteDescription : null),
      onPerson: (p) => this.renderTilesOf(p),
      onPeople: () => this.renderPeople(),
      onAudio: (identity, tracks) => sound.update(identity, tracks),
      onLeft: (identity) => {
        layout.remove(identity);
        sound.remove(identity);
      },
    });
    this.settings = new Settings({ devices: this.devices, sound, toast });
    const chat = this.chat = new Chat({ send, self, sideClosed: () => this.page.sideClosed(), toast });
    const mod = this.moderation = new Moderation({ perms, send, toast });
    this.people = new People({ actions: (p, media) => mod.actions(p, media), onAction: (a, p) => mod.act(a, p), errorEl: mod.errorEl });
    const controls = this.controls = new Controls({
      speakerUrl: o.speakerUrl || '',
      onToggle: (source) => this.devices.toggle(source),
      onScreen: () => this.devices.toggleScreen(),
      onRecord: (start, settled) => mod.record(start, settled),
      onEnd: () => mod.confirmEnd(),
      onSide: () => {
        controls.sideOpen(this.page.toggleSide());
        layout.layout();
      },
      onLeave: () => this.leave(),
      onHand: () => send({ type: 'hand', raised: !this.hand }),
      onSettings: () => this.settings.open(),
      onLayout: () => controls.setLayout(layout.toggleMode()),
      toast,
    });
    this.page = new Page({
      grid: layout.grid, people: this.people.el, chat: chat.el, controls: controls.el,
      linkBox: controls.linkBox, enableSound: sound.button, sinks: sound.sinks,
    });
    this.onPageHide = () => this.teardown(true);
    this.onOnline = () => this.sig.retryNow();
    this.expose();
  }

  /** expose gives tests and debugging a look inside (window.conclave). */
  expose() {
    const self = this;
    window.conclave = {
      get pc() { return self.link ? self.link.pc : null; },
      get ws() { return self.sig.ws; },
      get identity() { return self.identity; },
      get participants() { return self.roster.list(); },
      get meeting() { return self; },
    };
  }

  start() {
    setState('joining');
    window.addEventListener('pagehide', this.onPageHide);
    window.addEventListener('online', this.onOnline);
    this.sig.open();
  }

  onFrame(f) {
    if (f.type === 'participantUpdated' && f.identity === this.identity) return this.selfUpdated(f);
    if (this.roster.handle(f)) return undefined;
    switch (f.type) {
      case 'joined': return this.onJoined(f);
      case 'offer': return this.link && this.link.handleOffer(f.sdp);
      case 'answer': return this.link && this.link.handleAnswer(f.sdp);
      case 'trackMuted': return this.devices.mutedByServer(f.source, f.muted); // ours (the roster takes the others')
      case 'chat': return this.built && this.chat.add(f);
      case 'permissions':
        if (f.permissions) this.perms = f.permissions;
        if (f.role) this.role = f.role;
        this.page.toast(f.role === 'moderator' ? 'You are now a moderator' : 'Your role in this meeting changed');
        this.renderControls();
        return this.renderPeople();
      case 'muted': return this.devices.mutedByModerator(f);
      case 'recording': return this.setRecording(!!f.active);
      case 'result': return this.moderation.result(f);
      case 'kicked':
      case 'ended':
      case 'goingAway':
        this.final = frameEnding(f);
        return undefined;
      case 'error': return this.onError(f);
      default: return undefined;
    }
  }

  /** selfUpdated takes what the others are told about us: our raised hand. */
  selfUpdated(f) {
    this.hand = !!f.handRaised;
    this.controls.setHand(this.hand);
    this.renderPeople();
    this.renderSelf();
  }

  onJoined(f) {
    const resumed = this.joinedOnce;
    this.joinedOnce = true;
    this.endpoint = f.media || null;
    this.hand = false;
    this.controls.setHand(false);
    this.identity = f.identity || this.identity;
    this.name = f.name || this.name;
    if (f.role) this.role = f.role;
    if (f.permissions) this.perms = f.permissions;
    if (f.room && f.room.roomName) this.roomName = f.room.roomName;
    if (this.link) this.link.close();
    this.roster.clear();
    this.moderation.abandon(); // acts sent on a socket that is gone get no answer
    if (!resumed) {
      this.build();
    } else {
      this.layout.clearOthers();
      this.sound.clear();
    }
    for (const p of f.participants || []) this.roster.upsert(p, true);
    this.page.banner(false);
    this.setRecording(!!(f.recording && f.recording.active));
    this.renderControls();
    this.renderPeople();
    this.renderSelf();
    this.newLink((f.participants || []).some((p) => p.tracks && p.tracks.length));
    setState('meeting');
  }

  /** setRecording shows whether the meeting is being recorded: indicator and button. */
  setRecording(active) {
    this.page.setRecording(active);
    this.controls.setRecording(active);
  }

  /** build puts the meeting on the page, at the first `joined`. */
  build() {
    this.page.mount(this.roomName);
    this.built = true;
    this.controls.sideOpen(!this.page.sideClosed());
    this.layout.start({
      getPC: () => (this.link ? this.link.pc : null),
      identityOf: (trackId) => this.roster.identityOf(trackId),
      selfIdentity: () => this.identity,
      selfTrack: () => this.devices.speakingTrack(),
    });
    this.controls.focus();
  }

  newLink(serverWillOffer) {
    this.link = new MediaLink({
      send: (fr) => this.sig.send(fr),
      canSignal: () => this.sig.canSignal(),
      onTrack: (e) => this.roster.addTrack(e),
      onAnswered: () => this.devices.answered(),
      onConnecting: () => {
        this.renderPeople();
        this.renderSelf();
      },
      onConnected: () => {
        this.mediaProblem = '';
        this.page.mediaProblem('');
        this.renderPeople();
        this.renderSelf();
      },
      onFailed: () => this.mediaFailed(),
    });
    // The server offers the others' tracks at once: answer that before offering ours.
    if (serverWillOffer) this.link.holdOffers(3000);
    this.devices.publishAll(this.link);
  }

  /**
   * mediaFailed tells that our media connection did not come up, naming what this browser
   * could not reach: the server's UDP port (and the address it announces).
   */
  mediaFailed() {
    const e = this.endpoint || {};
    const port = e.udpPort ? `UDP port ${e.udpPort}` : 'UDP port';
    const at = e.addresses && e.addresses.length ? ` at ${e.addresses.join(', ')}` : '';
    this.mediaProblem = `Audio and video could not connect: this browser did not reach the server's ${port}${at}. ` +
      `A firewall or this network may block UDP to that port, or the server announces an address that cannot be reached from here (its administrator can check --rtc-port and --rtc-public-ip). Chat still works.`;
    this.page.mediaProblem(this.mediaProblem);
    console.warn('conclave: media did not connect', e);
    this.renderPeople();
    this.renderSelf();
  }

  onError(f) {
    if (this.moderation.refused(f) || this.chat.refused(f)) return;
    if (f.code === 'glare') {
      if (this.link) this.link.handleGlare();
    } else if (f.code === 'media_failed') {
      this.final = frameEnding(f);
    } else if (f.code) {
      console.warn('conclave: server error', f.code, f.message);
    }
  }

  onClose(c) {
    if (this.done) return;
    if (this.leaving) return this.showFinal(LEFT);
    if (this.final) return this.showFinal(this.final);
    const end = closeEnding(c, this.joinedOnce, this.sig.reconnecting);
    if (end === 'lobby') {
      this.teardown(false);
      this.backToLobby();
    } else if (end) {
      this.showFinal(end);
    } else {
      this.sig.reconnect();
    }
  }

  leave() {
    if (this.done) return;
    this.leaving = true;
    if (!this.sig.send({ type: 'leave' })) {
      this.showFinal(LEFT);
      return;
    }
    // The server closes the socket (1000); do not wait for it for long.
    setTimeout(() => {
      if (!this.done) this.showFinal(LEFT);
    }, 1500);
  }

  showFinal(n) {
    if (this.mediaProblem && n.state === 'error' && /media connection failed/i.test(n.title)) {
      n = { ...n, title: 'Audio and video could not connect', detail: this.mediaProblem };
    }
    this.teardown(false);
    showNotice(n.state, n.title, n.detail, n.rejoin ? [rejoinAction()] : []);
  }

  /** teardown stops every local track, the media connection and the socket. */
  teardown(unloading) {
    if (this.done) return;
    this.done = true;
    window.removeEventListener('pagehide', this.onPageHide);
    window.removeEventListener('online', this.onOnline);
    this.layout.stop();
    this.devices.stop();
    if (this.link) this.link.close();
    this.roster.release();
    this.sig.close(unloading);
  }

  // ---- drawing the roster and our media on the page's parts -------------------------

  renderControls() {
    if (!this.built) return;
    const p = this.perms;
    this.controls.render(p, (source) => this.devices.get(source));
    this.chat.allow(p.chatRead, p.chatWrite);
    if (!p.chatRead && !this.page.sideClosed()) this.layout.layout();
  }

  renderTilesOf(p) {
    if (this.built) this.layout.show(p.identity, false, p.name, this.roster.tiles(p));
  }

  /** selfConnecting says whether our media is being connected (descriptions exchanged, not up yet). */
  selfConnecting() {
    const l = this.link;
    return !!(l && l.watchdog && !l.everConnected && !this.mediaProblem);
  }

  renderSelf() {
    if (this.built) {
      this.layout.show(this.identity, true, this.name, { ...this.devices.tiles(), hand: this.hand, connecting: this.selfConnecting() });
    }
  }

  renderPeople() {
    if (!this.built) return;
    const me = {
      identity: this.identity, name: this.name, role: this.role, ...this.devices.media(),
      hand: this.hand, connecting: this.selfConnecting(), failed: !!this.mediaProblem,
    };
    this.people.render(me, [...this.roster.participants.values()].map((p) => ({ p, ...this.roster.media(p) })));
  }
}
