// Active-speaker detection from the audio levels WebRTC already measures: inbound-rtp
// audioLevel for each remote audio track (mapped to its publisher) and media-source
// audioLevel for our own microphone. Where a browser reports no level, an AnalyserNode on
// the track measures it instead.

const POLL_MS = 250;
const THRESHOLD = 0.04; // audioLevel is 0..1, linear
const HOLD_MS = 1500;

export class SpeakerDetector {
  /** getPC() returns the current peer connection; identityOf(trackId) the publisher; onChange(identity|null). */
  constructor({ getPC, identityOf, selfIdentity, selfTrack, onChange }) {
    this.getPC = getPC;
    this.identityOf = identityOf;
    this.selfIdentity = selfIdentity;
    this.selfTrack = selfTrack; // () → own microphone track when live and unmuted
    this.onChange = onChange;
    this.current = null;
    this.lastLoud = 0;
    this.analysers = new Map(); // track id → {analyser, buf, source}
    this.ctx = null;
    this.timer = setInterval(() => this.poll().catch(() => {}), POLL_MS);
  }

  async poll() {
    const pc = this.getPC();
    if (!pc || pc.connectionState === 'closed') return;
    const levels = new Map();
    const seen = new Set();
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.trackIdentifier) {
        const id = this.identityOf(s.trackIdentifier);
        if (!id) return;
        seen.add(s.trackIdentifier);
        if (typeof s.audioLevel === 'number') levels.set(id, Math.max(levels.get(id) || 0, s.audioLevel));
      } else if (s.type === 'media-source' && s.kind === 'audio' && typeof s.audioLevel === 'number') {
        if (this.selfTrack()) levels.set(this.selfIdentity(), Math.max(levels.get(this.selfIdentity()) || 0, s.audioLevel));
      }
    });
    // Fallback for tracks without a reported level.
    for (const r of pc.getReceivers()) {
      const t = r.track;
      if (!t || t.kind !== 'audio' || t.readyState !== 'live') continue;
      const id = this.identityOf(t.id);
      if (!id || levels.has(id)) continue;
      const lvl = this.analyse(t);
      if (lvl !== null) levels.set(id, Math.max(levels.get(id) || 0, lvl));
    }
    let best = null;
    let bestLevel = THRESHOLD;
    for (const [id, lvl] of levels) {
      if (lvl > bestLevel) {
        best = id;
        bestLevel = lvl;
      }
    }
    const now = Date.now();
    if (best) {
      if (best !== this.current && (this.current === null || now - this.lastLoud > HOLD_MS / 3)) {
        this.current = best;
        this.onChange(best);
      }
      if (best === this.current) this.lastLoud = now;
    } else if (this.current && now - this.lastLoud > HOLD_MS) {
      this.current = null;
      this.onChange(null);
    }
  }

  analyse(track) {
    try {
      let a = this.analysers.get(track.id);
      if (!a) {
        const AC = window.AudioContext || window.webkitAudioContext;
        if (!AC) return null;
        if (!this.ctx) this.ctx = new AC();
        const source = this.ctx.createMediaStreamSource(new MediaStream([track]));
        const analyser = this.ctx.createAnalyser();
        analyser.fftSize = 512;
        source.connect(analyser);
        a = { analyser, source, buf: new Float32Array(analyser.fftSize) };
        this.analysers.set(track.id, a);
        track.addEventListener('ended', () => {
          source.disconnect();
          this.analysers.delete(track.id);
        });
      }
      a.analyser.getFloatTimeDomainData(a.buf);
      let sum = 0;
      for (const v of a.buf) sum += v * v;
      return Math.sqrt(sum / a.buf.length);
    } catch {
      return null;
    }
  }

  stop() {
    clearInterval(this.timer);
    for (const a of this.analysers.values()) a.source.disconnect();
    this.analysers.clear();
    if (this.ctx) this.ctx.close().catch(() => {});
  }
}
