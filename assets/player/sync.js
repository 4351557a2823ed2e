// One master clock for every stream of a recording. Each <video> plays its own file, which
// starts `offset` seconds into the recording and lasts `duration`: at master time t it
// shows t - offset, and is hidden before its start and after its end. A tick every 100 ms
// keeps each video on the clock: a small drift is corrected by its playback rate, a large
// one by a seek. While a video that should be playing is still loading, the clock waits.

const TICK_MS = 100;
const SEEK_DRIFT = 0.5; // seconds: further off than this, seek
const RATE_DRIFT = 0.04; // seconds: closer than this, play at the normal rate
const MAX_WAIT_MS = 4000; // a video that has not loaded by then no longer holds the clock

/** length is how long a stream plays: its manifest duration, or less if its file is shorter. */
function length(s) {
  const d = s.video.duration;
  return Number.isFinite(d) && d > 0 ? Math.min(s.duration, d) : s.duration;
}

export class MasterClock {
  constructor(duration) {
    this.duration = Math.max(0, duration || 0);
    this.base = 0; // master time when startedAt was taken
    this.startedAt = null; // performance.now() while the clock runs, else null
    this.playing = false; // what the viewer asked for
    this.stalled = false; // waiting for a video
  }

  now() {
    const t = this.startedAt === null ? this.base : this.base + (performance.now() - this.startedAt) / 1000;
    return Math.min(this.duration, Math.max(0, t));
  }

  run(on) {
    if (on && this.startedAt === null) this.startedAt = performance.now();
    if (!on && this.startedAt !== null) {
      this.base = this.now();
      this.startedAt = null;
    }
  }

  play() {
    if (this.now() >= this.duration) this.base = 0;
    this.playing = true;
    this.run(!this.stalled);
  }

  pause() {
    this.playing = false;
    this.run(false);
  }

  seek(t) {
    this.base = Math.min(this.duration, Math.max(0, t));
    if (this.startedAt !== null) this.startedAt = performance.now();
  }

  setStalled(on) {
    this.stalled = on;
    this.run(this.playing && !on);
  }
}

/**
 * Sync drives streams [{video, offset, duration, onPhase(phase)}] from a MasterClock.
 * onTick(t) is called on every tick (for the time display and the playhead); onEnd when
 * the clock reaches the end.
 */
export class Sync {
  constructor(clock, streams, { onTick, onEnd } = {}) {
    this.clock = clock;
    this.streams = streams;
    this.onTick = onTick || (() => {});
    this.onEnd = onEnd || (() => {});
    this.seeks = 0; // corrections by seeking, for tests and diagnostics
    this.timer = setInterval(() => this.tick(), TICK_MS);
    for (const s of streams) {
      s.phase = '';
      s.video.addEventListener('waiting', () => this.tick());
      s.video.addEventListener('canplay', () => this.tick());
    }
    this.tick();
  }

  play() {
    this.clock.play();
    this.tick();
  }

  pause() {
    this.clock.pause();
    this.tick();
  }

  seek(t) {
    this.clock.seek(t);
    for (const s of this.streams) this.place(s, this.clock.now(), true);
    this.tick();
  }

  /** place puts one video where the clock says; force seeks even a small drift away. */
  place(s, t, force = false) {
    const v = s.video;
    const local = t - s.offset;
    const phase = local < 0 ? 'before' : local >= length(s) ? 'after' : 'on';
    if (phase !== s.phase) {
      s.phase = phase;
      s.onPhase(phase);
    }
    if (phase !== 'on') {
      if (!v.paused) v.pause();
      const rest = phase === 'before' ? 0 : Math.max(0, length(s) - 0.05);
      if (Math.abs(v.currentTime - rest) > 0.25 && !v.seeking) v.currentTime = rest;
      return;
    }
    const running = this.clock.playing && !this.clock.stalled;
    const drift = v.currentTime - local;
    if (force || Math.abs(drift) > SEEK_DRIFT || (!running && Math.abs(drift) > 0.05)) {
      if (!v.seeking || force) {
        v.currentTime = local;
        this.seeks++;
      }
      v.playbackRate = 1;
    } else if (running && Math.abs(drift) > RATE_DRIFT) {
      // Ahead: slow down; behind: speed up; never more than 10 %.
      v.playbackRate = 1 - Math.max(-0.1, Math.min(0.1, drift));
    } else {
      v.playbackRate = 1;
    }
    if (running && v.paused) {
      v.play().catch(() => {}); // refused autoplay: the viewer presses play again
    } else if (!running && !v.paused) {
      v.pause();
    }
  }

  tick() {
    const t = this.clock.now();
    if (this.clock.playing && t >= this.clock.duration) {
      this.clock.pause();
      for (const s of this.streams) this.place(s, t);
      this.onTick(t);
      this.onEnd();
      return;
    }
    // The clock waits while a video that should be showing has no data to play on, for
    // a few seconds at most: a stream that does not load must not stop the others.
    let waiting = false;
    const nowMs = performance.now();
    for (const s of this.streams) {
      const v = s.video;
      const local = t - s.offset;
      const starved = local >= 0 && local < length(s) - 0.1 && (v.readyState < 3 || v.seeking) && !v.error && !v.ended;
      if (!starved || !this.clock.playing) {
        s.waitingSince = undefined;
        continue;
      }
      if (s.waitingSince === undefined) s.waitingSince = nowMs;
      if (nowMs - s.waitingSince < MAX_WAIT_MS) waiting = true;
    }
    if (this.clock.playing && waiting !== this.clock.stalled) this.clock.setStalled(waiting);
    if (!this.clock.playing && this.clock.stalled) this.clock.setStalled(false);
    const now = this.clock.now();
    for (const s of this.streams) this.place(s, now);
    this.onTick(now);
  }

  stop() {
    clearInterval(this.timer);
  }
}
