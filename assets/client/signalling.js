// The signalling connection (docs/signalling.md, protocol v1): one WebSocket at a time,
// frames in and out, the resume secret of the last `joined`, and reconnection with backoff
// after a drop. What a close means for the meeting is for the caller to say.

const RECONNECT_DELAYS = [500, 1000, 2000, 4000, 8000, 16000];
const RECONNECT_TOTAL_MS = 30000;

/** framesLogged says whether to log every frame (localStorage conclave.debug). */
export function framesLogged() {
  try {
    return !!window.localStorage.getItem('conclave.debug');
  } catch {
    return false;
  }
}

export class Signalling {
  /**
   * url(resume) is the address to connect to; onFrame(frame) gets every frame of protocol
   * v1; onClose({code, reason, error}) runs when the current socket closes (error is the
   * last error frame before `joined`, if any) and may call reconnect(); onRetrying() runs
   * when a run of reconnection attempts starts, onGiveUp() when it has run out of time, and
   * onFail(err) when no socket could even be made. debug logs every frame.
   */
  constructor({ url, onFrame, onClose, onRetrying, onGiveUp, onFail, debug = false }) {
    this.url = url;
    this.onFrame = onFrame;
    this.onClose = onClose;
    this.onRetrying = onRetrying;
    this.onGiveUp = onGiveUp;
    this.onFail = onFail;
    this.debug = debug;
    this.ws = null;
    this.joined = false; // the current socket got `joined`
    this.resume = '';
    this.retry = null; // {start, n, timer} while reconnecting
    this.closed = false;
  }

  /** open makes the first connection. */
  open() {
    this.connect('');
  }

  /** send sends frame (without "v"); false when the socket is not open. */
  send(f) {
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      if (this.debug) console.debug('conclave ->', JSON.stringify(f).slice(0, 300));
      ws.send(JSON.stringify({ v: 1, ...f }));
      return true;
    }
    return false;
  }

  /** canSignal says whether the socket is open and the server has said `joined` on it. */
  canSignal() {
    return !!(this.ws && this.ws.readyState === WebSocket.OPEN && this.joined);
  }

  /** reconnecting says whether a run of reconnection attempts is under way. */
  get reconnecting() {
    return !!this.retry;
  }

  connect(resume) {
    let ws;
    try {
      ws = new WebSocket(this.url(resume));
    } catch (e) {
      this.onFail(e);
      return;
    }
    this.ws = ws;
    this.joined = false;
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
      if (f.type === 'joined') {
        st.joined = true;
        this.joined = true;
        this.resume = f.resume || '';
        if (this.retry) {
          clearTimeout(this.retry.timer);
          this.retry = null;
        }
      }
      if (f.type === 'error' && !st.joined) st.error = f;
      try {
        this.onFrame(f);
      } catch (ex) {
        console.error('conclave: frame', f.type, ex);
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.joined = false;
      this.onClose({ code: e.code, reason: e.reason, error: st.error });
    };
    ws.onerror = () => {}; // onclose follows with the code
  }

  /**
   * reconnect tries again after a backoff of 0.5 s doubling up to 16 s, with the resume
   * secret, until 30 s after the first attempt of the run.
   */
  reconnect() {
    if (!this.retry) {
      this.retry = { start: Date.now(), n: 0, timer: 0 };
      this.onRetrying();
    }
    const rc = this.retry;
    const left = RECONNECT_TOTAL_MS - (Date.now() - rc.start);
    if (left <= 0) {
      this.onGiveUp();
      return;
    }
    const delay = Math.min(RECONNECT_DELAYS[Math.min(rc.n, RECONNECT_DELAYS.length - 1)], left);
    rc.n++;
    rc.timer = setTimeout(() => {
      rc.timer = 0;
      this.attempt();
    }, delay);
  }

  /** retryNow cuts the wait short (the browser is back online). */
  retryNow() {
    if (this.retry && this.retry.timer) {
      clearTimeout(this.retry.timer);
      this.retry.timer = 0;
      this.attempt();
    }
  }

  attempt() {
    if (this.closed || !this.retry) return;
    this.connect(this.resume);
  }

  /** close stops reconnecting and closes the socket, saying `leave` first when unloading. */
  close(unloading) {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry.timer);
    this.retry = null;
    const ws = this.ws;
    if (!ws) return;
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
