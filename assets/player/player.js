// The recording player: every stream of a recording in a grid, played in sync on one
// clock, with a timeline of who was there and who spoke, seeking by the timeline, the
// download where allowed and the room's other recordings for those who may list them.
// Everything comes from one JSON document (source.js); the page holds no rights of its
// own, it shows what the server says the viewer may do.

import { clock, h, mount, setState, showNotice } from './dom.js';
import { ApiError, basePath, loadTimeline, login, passwordHeaders, storeBearer, timelineURL } from './source.js';
import { MasterClock, Sync } from './sync.js';
import { renderTimeline } from './timeline.js';

const state = { timing: { start: performance.now() } };
window.conclavePlayer = state; // for tests and for looking around in the console

function homeLink() {
  return { label: 'Go to the home page', href: (basePath || '') + '/' };
}

/** showRefusal turns a refused JSON request into the page that says what happened. */
function showRefusal(err, src, retry) {
  if (!(err instanceof ApiError)) {
    console.error(err);
    showNotice('error', 'Something went wrong', String((err && err.message) || err), [{ label: 'Try again', onClick: () => location.reload() }]);
    return;
  }
  const code = err.code || '';
  switch (code) {
    case 'share_password_required':
    case 'share_password_wrong':
      passwordForm(src, code === 'share_password_wrong' ? 'That password is not right.' : '', retry);
      return;
    case 'share_password_tries':
      showNotice('error', 'Too many wrong passwords', err.message + ' Wait a while, then try again.', [{ label: 'Try again', onClick: () => location.reload() }]);
      return;
    case 'share_link_sign_in_required':
      signIn('This link is for signed-in users of this server.', retry);
      return;
    case 'share_link_expired':
      showNotice('expired', 'This link has expired', 'Ask the person who shared the recording with you for a new link.', [homeLink()]);
      return;
    case 'share_link_revoked':
      showNotice('revoked', 'This link was revoked', 'The recording is no longer shared through this link. Ask the person who shared it for a new one.', [homeLink()]);
      return;
    case 'share_link_used_up':
      showNotice('expired', 'This link has been used up', 'It could be opened only a set number of times. Ask the person who shared the recording for a new link.', [homeLink()]);
      return;
    case 'room_link_invalid':
      showNotice('invalid', 'This link is not valid (any more)', 'Ask the person who gave it to you for a new link.', [homeLink()]);
      return;
    case 'share_link_not_found':
      showNotice('notfound', 'This link does not work', 'There is no such link, or it was copied incompletely. Check the link you were given.', [homeLink()]);
      return;
    default:
  }
  switch (err.status) {
    case 0:
      showNotice('error', 'The server could not be reached', err.message, [{ label: 'Try again', onClick: () => location.reload() }]);
      return;
    case 401:
      signIn(err.message, retry);
      return;
    case 403: {
      const actions = [homeLink()];
      if (!src.share && !src.secret) {
        actions.push({ label: 'Sign in as someone else', onClick: () => { storeBearer(null); signIn('', retry); } });
      }
      showNotice('denied', 'You may not watch this recording', err.message + (src.share ? '.' : '. Ask the room\'s owner for access if you need it.'), actions);
      return;
    }
    case 404:
      showNotice('notfound', 'Recording not found', 'This recording does not exist, or no longer does. Check the link you were given.', [homeLink()]);
      return;
    case 409:
      showNotice('active', 'This recording is still being made', 'It can be watched once the recording has stopped and its files are finished.', [{ label: 'Try again', onClick: () => location.reload() }]);
      return;
    case 410:
      showNotice('expired', 'This recording is gone', err.message, [homeLink()]);
      return;
    case 429:
      showNotice('error', 'Too many attempts', err.message + ' Wait a moment, then try again.', [{ label: 'Try again', onClick: () => location.reload() }]);
      return;
    default:
      showNotice('error', 'Something went wrong', err.message || `The server answered ${err.status}.`, [{ label: 'Try again', onClick: () => location.reload() }]);
  }
}

/** form builds a small centred form: fields are [label, input] pairs. */
function smallForm(title, intro, fields, submitLabel, onSubmit, why) {
  const err = h('p', { class: 'form-error', role: 'alert', id: 'form-error', text: why || '' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'form-submit', text: submitLabel });
  const form = h('form', { class: 'card', 'aria-labelledby': 'form-title', novalidate: true },
    h('h1', { id: 'form-title', text: title }),
    h('p', { class: 'muted', text: intro }),
    fields.flatMap(([label, input]) => [h('label', { for: input.id, text: label }), input]),
    err, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    submit.disabled = true;
    try {
      await onSubmit(err);
    } finally {
      submit.disabled = false;
    }
  });
  mount(h('main', { class: 'center' }, form));
  fields[0][1].focus();
}

function signIn(why, retry) {
  setState('signin');
  document.title = 'Sign in · Conclave';
  const user = h('input', { id: 'signin-user', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  smallForm('Sign in to watch', 'This recording is for signed-in users. Sign in with your Conclave account.',
    [['User id', user], ['Password', pass]], 'Sign in', async (err) => {
      if (!user.value.trim() || !pass.value) {
        err.textContent = 'Enter your user id and password.';
        return;
      }
      try {
        const res = await login(user.value.trim(), pass.value);
        if (res.mustChangePassword) {
          err.textContent = 'You must change your password first: do so on the home page, then come back to this link.';
          return;
        }
        storeBearer(res.accessToken);
        retry();
      } catch (ex) {
        err.textContent = ex instanceof ApiError && [400, 401, 404].includes(ex.status) ? 'Wrong user id or password.' : ((ex && ex.message) || 'Sign-in failed.');
      }
    }, why && !/unauthori[sz]ed/i.test(why) ? why : '');
}

function passwordForm(src, why, retry) {
  setState('password');
  document.title = 'Password needed · Conclave';
  const pass = h('input', { id: 'share-password', name: 'password', type: 'password', autocomplete: 'off', required: true });
  smallForm('This recording is protected', 'Enter the password you were given with the link.',
    [['Password', pass]], 'Open the recording', async (err) => {
      if (!pass.value) {
        err.textContent = 'Enter the password.';
        return;
      }
      retry(passwordHeaders(pass.value));
    }, why);
}

function formatDate(ms) {
  try {
    return new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
  } catch {
    return '';
  }
}

function tile(stream, who) {
  const video = h('video', { preload: 'auto', playsinline: true, disableRemotePlayback: true, 'aria-label': `${who} (${stream.kind})` });
  video.src = stream.mediaUrl;
  const note = h('p', { class: 'tile-note' });
  const el = h('figure', { class: 'tile', dataset: { index: String(stream.index), identity: stream.identity, kind: stream.kind, phase: '' } },
    video, note,
    h('figcaption', { class: 'tile-name' }, who, stream.kind === 'screen' ? h('span', { class: 'tile-kind', text: ' · screen' }) : null));
  const onPhase = (phase) => {
    el.dataset.phase = phase;
    if (phase === 'before') note.textContent = `${who} joins at ${clock(stream.offset)}`;
    else if (phase === 'after') note.textContent = `${who} left at ${clock(stream.offset + stream.duration)}`;
    else note.textContent = '';
  };
  video.addEventListener('error', () => {
    el.dataset.error = 'true';
    note.textContent = 'This stream could not be loaded.';
  });
  return { el, video, offset: stream.offset, duration: stream.duration, onPhase };
}

function othersList(others) {
  if (!others || !others.allowed) return null;
  const items = others.recordings.map((o) => h('li', {},
    h('a', { href: o.playerUrl }, formatDate(o.startDate)),
    h('span', { class: 'muted', text: o.duration != null ? ` · ${clock(o.duration)}` : ` · ${o.status}` })));
  return h('aside', { class: 'others', 'aria-labelledby': 'others-title' },
    h('h2', { id: 'others-title', text: 'Other recordings of this room' }),
    items.length ? h('ul', { id: 'others' }, items) : h('p', { class: 'muted', id: 'others-none', text: 'There are no other recordings of this room.' }),
    others.more ? h('p', { class: 'muted', text: 'Only the latest are listed.' }) : null);
}

function showPlayer(data, src, reload) {
  setState('player');
  const title = data.roomName || data.roomId;
  document.title = `${title} · recording · Conclave`;
  const names = new Map(data.participants.map((p) => [p.identity, p.name]));
  const tiles = data.streams.map((s) => tile(s, names.get(s.identity) || s.name || s.identity));
  const grid = h('section', { class: 'grid', id: 'grid', 'aria-label': 'Streams', dataset: { count: String(tiles.length) } }, tiles.map((t) => t.el));

  const playBtn = h('button', { type: 'button', id: 'play', class: 'primary', 'aria-label': 'Play', text: 'Play' });
  const time = h('span', { id: 'time', class: 'time', 'aria-live': 'off', text: `0:00 / ${clock(data.duration)}` });
  const seek = h('input', { type: 'range', id: 'seek', min: '0', max: String(data.duration || 0), step: '0.1', value: '0', 'aria-label': 'Position', title: 'Arrow keys: 5 seconds; Page Up and Down: 30 seconds' });
  const download = data.download && data.download.allowed
    ? h('a', { class: 'button', id: 'download', href: data.download.url, download: '', text: 'Download' })
    : null;
  const controls = h('div', { class: 'controls', role: 'group', 'aria-label': 'Playback' }, playBtn, time, seek, download);

  // Who speaks at t, from the timeline's intervals: their tiles are outlined.
  const speakingOf = new Map(data.participants.map((p) => [p.identity, p.speaking || []]));
  const markSpeaking = (t) => {
    for (const tile of tiles) {
      const ivs = speakingOf.get(tile.el.dataset.identity) || [];
      const on = tile.el.dataset.phase === 'on' && ivs.some(([a, b]) => t >= a && t < b);
      tile.el.classList.toggle('speaking', on);
    }
  };

  const mc = new MasterClock(data.duration);
  let tl = null;
  let seeking = false;
  const sync = new Sync(mc, tiles, {
    onTick(t) {
      time.textContent = `${clock(t)} / ${clock(data.duration)}`;
      if (!seeking) seek.value = String(t);
      seek.setAttribute('aria-valuetext', `${clock(t)} of ${clock(data.duration)}`);
      if (tl) tl.setTime(t);
      markSpeaking(t);
    },
    onEnd() {
      setPlaying(false);
    },
  });
  function setPlaying(on) {
    playBtn.textContent = on ? 'Pause' : 'Play';
    playBtn.setAttribute('aria-label', on ? 'Pause' : 'Play');
    document.body.dataset.playing = on ? 'true' : 'false';
  }
  playBtn.addEventListener('click', () => {
    if (mc.playing) sync.pause();
    else sync.play();
    setPlaying(mc.playing);
  });
  seek.addEventListener('input', () => {
    seeking = true;
    sync.seek(Number(seek.value));
  });
  seek.addEventListener('change', () => {
    seeking = false;
    sync.seek(Number(seek.value));
  });
  // The slider's own arrow steps (a tenth of a second) are too small to be of use.
  seek.addEventListener('keydown', (e) => {
    const steps = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -30, PageUp: 30 };
    let to = null;
    if (e.key in steps) to = mc.now() + steps[e.key];
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = data.duration;
    if (to === null) return;
    e.preventDefault();
    sync.seek(Math.max(0, Math.min(data.duration, to)));
  });
  document.addEventListener('keydown', (e) => {
    if (e.key !== ' ' || e.target.closest('input, button, a, textarea, select')) return;
    e.preventDefault();
    playBtn.click();
  });

  tl = renderTimeline(data, (t) => sync.seek(t));
  const when = formatDate(data.startDate);
  const header = h('header', { class: 'bar' },
    h('h1', { id: 'title', text: title }),
    h('p', { class: 'muted', text: `Recorded ${when} · ${clock(data.duration)}` + (data.streams.length ? ` · ${data.streams.length} stream${data.streams.length === 1 ? '' : 's'}` : '') }));
  const body = data.streams.length ? [grid, controls, tl.el]
    : [h('p', { class: 'notice-card', id: 'no-streams', text: 'Nothing of this recording can be played: it has no streams.' })];
  mount(h('div', { class: 'player' }, header, h('main', { id: 'player', class: 'player-main' }, body), othersList(data.others)));

  // Start-up timing: the first frame any stream presents.
  for (const t of tiles) {
    const mark = () => {
      if (state.timing.firstFrame === undefined) state.timing.firstFrame = performance.now();
    };
    if (t.video.requestVideoFrameCallback) t.video.requestVideoFrameCallback(mark);
    t.video.addEventListener('loadeddata', () => {
      if (state.timing.firstData === undefined) state.timing.firstData = performance.now();
    }, { once: true });
  }
  // A stream refused (the cookie's sign-in or a share link's token ended): read the JSON
  // again, which renews them, and reload that stream once where it was.
  tiles.forEach((t, i) => {
    t.video.addEventListener('error', async () => {
      if (t.retried) return;
      t.retried = true;
      try {
        const fresh = await reload();
        const st = fresh.streams[i];
        if (!st) return;
        t.el.dataset.error = '';
        if (st.mediaUrl !== t.video.getAttribute('src')) t.video.src = st.mediaUrl;
        else t.video.load();
        sync.seek(mc.now());
      } catch {
        // the tile says it could not be loaded
      }
    });
  });
  Object.assign(state, { data, clock: mc, sync, tiles, videos: tiles.map((t) => t.video), seekTo: (x) => sync.seek(x) });
  playBtn.focus();
}

async function start() {
  const src = timelineURL();
  if (!src) {
    showNotice('notfound', 'Recording not found', 'This is not the address of a recording.', [homeLink()]);
    return;
  }
  let extra = {};
  const attempt = async (headers) => {
    if (headers) extra = headers;
    setState('loading');
    try {
      const data = await loadTimeline(src, extra);
      state.timing.json = performance.now();
      showPlayer(data, src, () => loadTimeline(src, extra));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && !src.share && !src.secret) storeBearer(null);
      showRefusal(err, src, attempt);
    }
  };
  await attempt();
}

start();
