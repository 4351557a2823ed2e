// The media connection: one RTCPeerConnection negotiated with the SFU as the polite side of
// "perfect negotiation" (docs/signalling.md). The SFU offers whenever subscriptions change;
// this side offers to publish, naming the source of each of its m-lines.

const ICE_DISCONNECTED_GRACE_MS = 3000;
// A media connection that has not come up this long after its first exchange of
// descriptions is taken as failed: ICE over UDP on one machine or a LAN takes well
// under a second, and a blocked port never succeeds (the browser's own verdict can take
// half a minute).
export const MEDIA_CONNECT_TIMEOUT_MS = 10000;

export class MediaLink {
  /**
   * send(frame) sends a signalling frame (without "v"); canSignal() says whether the socket
   * is up; onTrack(event) gets remote tracks; onAnswered() runs after each answer from the
   * server to an offer of this side.
   */
  constructor({ send, canSignal, onTrack, onAnswered, onState, onConnecting, onConnected, onFailed }) {
    this.send = send;
    this.canSignal = canSignal;
    this.onAnswered = onAnswered || (() => {});
    this.onState = onState || (() => {});
    this.onConnecting = onConnecting || (() => {});
    this.onConnected = onConnected || (() => {});
    this.onFailed = onFailed || (() => {});
    this.everConnected = false; // ICE has connected at least once
    this.failed = false; // onFailed was called
    this.watchdog = 0;
    this.onTrack = onTrack;
    this.local = new Map(); // source → RTCRtpTransceiver
    this.streams = new Map(); // source → the MediaStream it is sent in
    this.chain = Promise.resolve();
    this.pending = false; // an offer is owed once the state is stable again
    this.rolledBack = false; // our offer was rolled back for the server's; its glare is moot
    this.hold = false; // wait for the server's first offer before offering
    this.closed = false;
    this.iceTimer = 0;
    this.makePC();
  }

  makePC() {
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    pc.ontrack = this.onTrack;
    pc.onnegotiationneeded = () => this.run(() => this.offer());
    pc.onicecandidate = (e) => {
      if (pc === this.pc && e.candidate && e.candidate.candidate) this.send({ type: 'candidate', candidate: e.candidate.toJSON() });
    };
    pc.oniceconnectionstatechange = () => this.watchIce();
    pc.onconnectionstatechange = () => this.onState(pc.connectionState);
  }

  static detach(pc) {
    pc.ontrack = null;
    pc.onnegotiationneeded = null;
    pc.onicecandidate = null;
    pc.oniceconnectionstatechange = null;
    pc.onconnectionstatechange = null;
    try {
      pc.close();
    } catch {
      /* already closed */
    }
  }

  /**
   * holdOffers defers our offers until the server's first offer is answered (or ms pass):
   * on joining a meeting with publishers the server offers at once, and offering at the
   * same time would only cause glare.
   */
  holdOffers(ms) {
    this.hold = true;
    setTimeout(() => this.run(async () => {
      if (!this.hold) return;
      this.hold = false;
      if (this.pending) await this.offer();
    }), ms);
  }

  /** run serializes every step of negotiation. */
  run(fn) {
    this.chain = this.chain.then(() => (this.closed ? undefined : fn())).catch((e) => {
      console.warn('conclave: negotiation step failed', e);
    });
    return this.chain;
  }

  /** publish sends track as source; stream groups the tracks of this participant. */
  publish(source, track, stream) {
    const old = this.local.get(source);
    if (old && this.live(old)) {
      return old.sender.replaceTrack(track);
    }
    this.streams.set(source, stream);
    const tr = this.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    this.local.set(source, tr);
    return Promise.resolve();
  }

  /** unpublish stops sending source; the next offer rejects its m-line. */
  unpublish(source) {
    const tr = this.local.get(source);
    this.local.delete(source);
    if (!tr) return;
    try {
      if (typeof tr.stop === 'function') tr.stop();
      else this.pc.removeTrack(tr.sender);
    } catch (e) {
      console.warn('conclave: unpublish', e);
    }
  }

  live(tr) {
    return !(tr.stopped || tr.direction === 'stopped' || tr.currentDirection === 'stopped');
  }

  sources() {
    const out = {};
    for (const [source, tr] of this.local) {
      if (tr.mid !== null && tr.mid !== undefined && this.live(tr)) out[tr.mid] = source;
    }
    return out;
  }

  async offer() {
    if (this.hold || !this.canSignal()) {
      this.pending = true;
      return;
    }
    if (this.pc.signalingState !== 'stable') {
      this.pending = true;
      return;
    }
    this.pending = false;
    const offer = await this.pc.createOffer();
    if (this.pc.signalingState !== 'stable') {
      this.pending = true;
      return;
    }
    await this.pc.setLocalDescription(offer);
    this.send({ type: 'offer', sdp: this.pc.localDescription.sdp, sources: this.sources() });
  }

  /** handleOffer answers the server's offer, rolling our own back if they crossed. */
  handleOffer(sdp) {
    return this.run(async () => {
      this.hold = false;
      let redo = null;
      if (this.pc.signalingState === 'have-local-offer') {
        this.pending = true;
        this.rolledBack = true;
        if (!this.pc.currentRemoteDescription) {
          // Nothing was ever settled: a rollback here leaves transceivers whose
          // header-extension ids Chromium then finds colliding in the BUNDLE group, and
          // stopped ones would ask for negotiation for ever. Start on a fresh connection.
          redo = [...this.local].map(([source, tr]) => [source, tr.sender.track]);
          this.local.clear();
          const old = this.pc;
          this.makePC();
          MediaLink.detach(old);
        } else {
          await this.pc.setLocalDescription({ type: 'rollback' });
        }
      }
      await this.pc.setRemoteDescription({ type: 'offer', sdp });
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      this.send({ type: 'answer', sdp: this.pc.localDescription.sdp });
      this.armWatchdog();
      for (const [source, track] of redo || []) {
        if (track && track.readyState === 'live') {
          this.local.set(source, this.pc.addTransceiver(track, { direction: 'sendonly', streams: [this.streams.get(source)] }));
        }
      }
      if (this.pending) await this.offer();
    });
  }

  /** handleAnswer applies the server's answer to our offer. */
  handleAnswer(sdp) {
    return this.run(async () => {
      if (this.pc.signalingState !== 'have-local-offer') return;
      // The server keeps the DTLS role the first exchange settled in every later answer
      // (media/sdp.go), so its answers apply as they are.
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      this.armWatchdog();
      this.onAnswered();
      if (this.pending) await this.offer();
    });
  }

  /** handleGlare: the server ignored our offer because its own crossed it. */
  handleGlare() {
    return this.run(async () => {
      if (this.rolledBack) {
        this.rolledBack = false; // already offered again after answering the server
        return;
      }
      this.pending = true;
      if (this.pc.signalingState === 'stable') await this.offer();
    });
  }

  /** flush sends an offer that was owed while the socket was down. */
  flush() {
    return this.run(async () => {
      if (this.pending) await this.offer();
    });
  }

  /** armWatchdog starts the connect timer once descriptions were exchanged. */
  armWatchdog() {
    if (this.everConnected || this.watchdog || this.closed) return;
    this.watchdog = setTimeout(() => {
      if (!this.everConnected && !this.closed) this.fail();
    }, MEDIA_CONNECT_TIMEOUT_MS);
    if (this.pc.iceConnectionState !== 'connected' && this.pc.iceConnectionState !== 'completed') this.onConnecting();
  }

  fail() {
    if (this.failed) return;
    this.failed = true;
    this.onFailed();
  }

  watchIce() {
    const st = this.pc.iceConnectionState;
    clearTimeout(this.iceTimer);
    if ((st === 'connected' || st === 'completed') && !this.everConnected) {
      this.everConnected = true;
      clearTimeout(this.watchdog);
      this.onConnected();
    }
    if (st === 'failed' && !this.everConnected) this.fail();
    if (st === 'failed') this.restartIce();
    else if (st === 'disconnected') this.iceTimer = setTimeout(() => this.restartIce(), ICE_DISCONNECTED_GRACE_MS);
  }

  restartIce() {
    if (this.closed || !this.canSignal()) return;
    const st = this.pc.iceConnectionState;
    if (st !== 'disconnected' && st !== 'failed') return;
    if (typeof this.pc.restartIce === 'function') {
      this.pc.restartIce(); // negotiationneeded sends the offer
    } else {
      this.run(async () => {
        if (this.pc.signalingState !== 'stable') return;
        await this.pc.setLocalDescription(await this.pc.createOffer({ iceRestart: true }));
        this.send({ type: 'offer', sdp: this.pc.localDescription.sdp, sources: this.sources() });
      });
    }
  }

  close() {
    this.closed = true;
    clearTimeout(this.iceTimer);
    clearTimeout(this.watchdog);
    MediaLink.detach(this.pc);
  }
}
