// The lobby: sign-in when needed, the room-member token, name, device choice and preview.

import { storeBearer, storedBearer, forcedChange, signIn } from './account.js';
import { ApiError, decodeToken, getRoom, memberToken } from './api.js';
import { h, mount, rejoinAction, setState, showNotice } from './dom.js';

const NAME_KEY = 'conclave.name';

function storage(kind) {
  try {
    return kind === 'local' ? window.localStorage : window.sessionStorage;
  } catch {
    return null;
  }
}

/**
 * showApiError turns a refused request into the matching full-page notice. 401 leads to the
 * sign-in form through onUnauthenticated.
 */
export function showApiError(err, onUnauthenticated) {
  if (!(err instanceof ApiError)) {
    console.error(err);
    showNotice('error', 'Something went wrong', String((err && err.message) || err), [rejoinAction('Try again')]);
    return;
  }
  const msg = err.message || '';
  switch (err.status) {
    case 0:
      showNotice('error', 'The server could not be reached', msg, [rejoinAction('Try again')]);
      return;
    case 400:
      if (/secret/i.test(msg)) {
        showNotice('invalid', 'This link is not valid (any more)', 'Ask the person who invited you for a new link.');
      } else {
        showNotice('error', 'The request was refused', msg, [rejoinAction('Try again')]);
      }
      return;
    case 401:
      if (onUnauthenticated) onUnauthenticated(msg);
      else showNotice('error', 'Please sign in again', msg, [rejoinAction('Sign in')]);
      return;
    case 403:
      showNotice('denied', 'You have no access to this room', msg);
      return;
    case 404:
      showNotice('notfound', 'Room not found', 'This room does not exist (any more). Check the link you were given.');
      return;
    case 409:
      if (/closed/i.test(msg)) {
        showNotice('closed', 'This room is closed', 'Nobody can join it until it is opened again.');
        return;
      }
      showNotice('error', 'You cannot join right now', msg, [rejoinAction('Try again')]);
      return;
    case 429:
      showNotice('error', 'Too many attempts', msg + ' Wait a moment, then try again.', [rejoinAction('Try again')]);
      return;
    default:
      showNotice('error', 'Something went wrong', msg || `The server answered ${err.status}.`, [rejoinAction('Try again')]);
  }
}

/**
 * getCredentials returns {secret} or {bearer} and a first (lobby) token with its claims and
 * the room; it shows the sign-in form as needed. Resolves null when a notice was shown.
 */
async function firstToken(roomId, secret) {
  let bearer = secret ? null : storedBearer();
  let stored = !!bearer;
  let why = '';
  for (;;) {
    if (!secret && !bearer) {
      bearer = await signIn({
        title: 'Sign in to join',
        intro: `Room ${roomId} is open to signed-in users and members. Sign in with your Conclave account.`,
        why,
        next: 'join',
      });
    }
    try {
      const token = await memberToken(roomId, { secret, bearer });
      return { secret, bearer, token };
    } catch (e) {
      if (e instanceof ApiError && e.status === 403 && /change your password/i.test(e.message) && bearer) {
        // Signed in earlier in this tab, the forced change still pending.
        bearer = await forcedChange(bearer, '', { next: 'join' });
        continue;
      }
      if (e instanceof ApiError && e.status === 401) {
        storeBearer(null);
        bearer = null;
        if (secret) {
          showApiError(e);
          return null;
        }
        why = stored ? 'Your session has ended: please sign in again.' : e.message;
        stored = false;
        continue;
      }
      showApiError(e);
      return null;
    }
  }
}

/** acquire asks for the allowed devices; each failure is told in words, never thrown. */
async function acquire(wantAudio, wantVideo, audioId, videoId) {
  const out = { audio: null, video: null, problem: '' };
  if (!wantAudio && !wantVideo) return out;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    out.problem = 'This browser cannot use a camera or microphone here (a secure https page is needed). You can still join to see and hear the others.';
    return out;
  }
  const c = (want, id) => (want ? (id ? { deviceId: { exact: id } } : true) : false);
  const tryGet = async (audio, video) => {
    const s = await navigator.mediaDevices.getUserMedia({ audio, video });
    out.audio = s.getAudioTracks()[0] || out.audio;
    out.video = s.getVideoTracks()[0] || out.video;
  };
  try {
    await tryGet(c(wantAudio, audioId), c(wantVideo, videoId));
    return out;
  } catch (e) {
    if (e && (e.name === 'NotAllowedError' || e.name === 'SecurityError')) {
      out.problem = 'Access to your camera and microphone was denied. You can still join to see and hear the others, or allow access in the browser and reload.';
      return out;
    }
  }
  // One of them may be missing or busy: try each on its own.
  const missing = [];
  if (wantAudio) await tryGet(c(true, audioId), false).catch(() => missing.push('microphone'));
  if (wantVideo) await tryGet(false, c(true, videoId)).catch(() => missing.push('camera'));
  if (missing.length) {
    out.problem = `No usable ${missing.join(' or ')} was found${out.audio || out.video ? '' : '. You can still join to see and hear the others'}.`;
  }
  return out;
}

/**
 * runLobby runs the lobby of roomId and calls onJoin({token, claims, roomName, speakerUrl,
 * audio, video, retoken}) when the user joins. retoken() gets a fresh join token.
 */
export async function runLobby({ roomId, secret, onJoin }) {
  setState('joining');
  const cred = await firstToken(roomId, secret);
  if (!cred) return;
  let claims;
  try {
    claims = decodeToken(cred.token);
  } catch {
    showNotice('error', 'Something went wrong', 'The server gave a token this page cannot read.', [rejoinAction('Try again')]);
    return;
  }
  const perms = claims.perms || {};
  if (!perms.meetingJoin) {
    showNotice('denied', 'You may not join this meeting', 'Your access to this room does not include joining its meetings.');
    return;
  }
  let room;
  try {
    room = await getRoom(roomId, cred.token);
  } catch (e) {
    showApiError(e);
    return;
  }
  if (room.status === 'closed') {
    showNotice('closed', 'This room is closed', 'Nobody can join it until it is opened again.');
    return;
  }
  const roomName = room.roomName || roomId;
  const speakerUrl = room.access && room.access.anonymous && room.access.anonymous.speaker && room.access.anonymous.speaker.enabled !== false
    ? room.access.anonymous.speaker.url : '';
  const fixedName = (claims.sk === 'member' || claims.sk === 'user') && claims.pname ? claims.pname : '';
  const wantAudio = !!perms.mediaPublishAudio;
  const wantVideo = !!perms.mediaPublishVideo;

  document.title = roomName + ' · Conclave';
  const ls = storage('local');
  const name = h('input', {
    id: 'name', name: 'name', maxlength: '50', required: true, autocomplete: 'name',
    value: fixedName || (ls && ls.getItem(NAME_KEY)) || '', readOnly: !!fixedName,
    'aria-describedby': fixedName ? 'name-hint' : null,
  });
  const preview = h('video', { id: 'preview', autoplay: true, playsinline: true, muted: true, 'aria-label': 'Your camera preview' });
  preview.muted = true;
  const previewOff = h('p', { class: 'preview-off', text: wantVideo ? 'Camera off' : 'You will not send video in this room' });
  const camera = wantVideo ? h('select', { id: 'camera', name: 'camera' }) : null;
  const microphone = wantAudio ? h('select', { id: 'microphone', name: 'microphone' }) : null;
  const mediaStatus = h('p', { id: 'media-status', class: 'media-status', role: 'status' });
  // Join with the microphone or camera off: switched here, applied once in the meeting.
  let micOff = false;
  let camOff = false;
  const switchBtn = (id, word) => h('button', { id, type: 'button', class: 'switch', 'aria-pressed': 'true', dataset: { on: 'true' }, text: `${word} on` });
  const micSwitch = wantAudio ? switchBtn('lobby-mic', 'Microphone') : null;
  const camSwitch = wantVideo ? switchBtn('lobby-cam', 'Camera') : null;
  const level = wantAudio ? h('meter', { id: 'mic-level', min: '0', max: '1', low: '0.05', high: '0.6', optimum: '0.3', value: '0', 'aria-label': 'Microphone level' }) : null;
  const err = h('p', { class: 'form-error', role: 'alert', id: 'lobby-error' });
  const join = h('button', { id: 'join', type: 'submit', class: 'primary', text: 'Join meeting' });
  const form = h('form', { class: 'lobby-form', novalidate: true },
    h('label', { for: 'name', text: 'Your name' }), name,
    fixedName ? h('p', { id: 'name-hint', class: 'hint', text: 'Your name is set by your membership.' }) : null,
    camera ? [h('label', { for: 'camera', text: 'Camera' }), camera] : null,
    microphone ? [h('label', { for: 'microphone', text: 'Microphone' }), microphone] : null,
    !wantAudio && !wantVideo ? h('p', { class: 'hint', text: 'You will see and hear the others; you may not send audio or video in this room.' }) : null,
    mediaStatus, err, join);
  mount(h('main', { class: 'lobby', 'aria-labelledby': 'lobby-title' },
    h('h1', { id: 'lobby-title', text: roomName }),
    h('p', { class: 'muted', text: 'Check your camera and microphone, then join.' }),
    h('div', { class: 'lobby-grid' },
      h('div', { class: 'lobby-media' },
        h('div', { class: 'preview-wrap' }, preview, previewOff),
        micSwitch || camSwitch ? h('div', { class: 'lobby-switches' }, micSwitch, camSwitch,
          level ? h('span', { class: 'level' }, h('span', { class: 'hint', text: 'Level' }), level) : null) : null),
      form)));
  if (!fixedName) name.focus();
  else join.focus();

  let audio = null;
  let video = null;
  const showPreview = () => {
    const show = video && !camOff;
    preview.srcObject = show ? new MediaStream([video]) : null;
    previewOff.hidden = !!show;
    previewOff.textContent = wantVideo ? 'Camera off' : 'You will not send video in this room';
    if (show) preview.play().catch(() => {});
  };
  const setSwitch = (b, word, on) => {
    b.dataset.on = String(on);
    b.setAttribute('aria-pressed', String(on));
    b.textContent = `${word} ${on ? 'on' : 'off'}`;
  };
  if (micSwitch) {
    micSwitch.addEventListener('click', () => {
      micOff = !micOff;
      if (audio) audio.enabled = !micOff;
      setSwitch(micSwitch, 'Microphone', !micOff);
    });
  }
  if (camSwitch) {
    camSwitch.addEventListener('click', () => {
      camOff = !camOff;
      if (video) video.enabled = !camOff;
      setSwitch(camSwitch, 'Camera', !camOff);
      showPreview();
    });
  }
  // The level meter: what the microphone hears, so that a silent one is noticed before
  // joining.
  let meterTimer = 0;
  let meterCtx = null;
  let meterSrc = null;
  const meterOn = () => {
    if (!level || !audio || typeof AudioContext !== 'function') return;
    try {
      if (!meterCtx) meterCtx = new AudioContext();
      if (meterSrc) meterSrc.disconnect();
      const analyser = meterCtx.createAnalyser();
      analyser.fftSize = 512;
      meterSrc = meterCtx.createMediaStreamSource(new MediaStream([audio]));
      meterSrc.connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      clearInterval(meterTimer);
      meterTimer = setInterval(() => {
        if (micOff) {
          level.value = 0;
          return;
        }
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const x of buf) sum += x * x;
        level.value = Math.min(1, Math.sqrt(sum / buf.length) * 4);
        level.dataset.level = level.value.toFixed(3);
      }, 100);
      if (meterCtx.state === 'suspended') meterCtx.resume().catch(() => {});
    } catch (e) {
      console.warn('conclave: no level meter', e);
    }
  };
  // Browsers start an AudioContext suspended until the page is used: resume it then.
  const wake = () => {
    if (meterCtx && meterCtx.state === 'suspended') meterCtx.resume().catch(() => {});
  };
  document.addEventListener('pointerdown', wake);
  document.addEventListener('keydown', wake);
  const meterOff = () => {
    document.removeEventListener('pointerdown', wake);
    document.removeEventListener('keydown', wake);
    clearInterval(meterTimer);
    if (meterSrc) meterSrc.disconnect();
    if (meterCtx) meterCtx.close().catch(() => {});
    meterCtx = null;
    meterSrc = null;
  };
  const fill = async () => {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    const put = (sel, kind, track, label) => {
      if (!sel) return;
      const list = devices.filter((d) => d.kind === kind && d.deviceId);
      const cur = track && track.getSettings ? track.getSettings().deviceId : '';
      sel.replaceChildren(...list.map((d, i) => h('option', { value: d.deviceId, text: d.label || `${label} ${i + 1}`, selected: d.deviceId === cur })));
      if (!list.length) sel.append(h('option', { value: '', text: `No ${label.toLowerCase()}` }));
      sel.disabled = !list.length;
    };
    put(camera, 'videoinput', video, 'Camera');
    put(microphone, 'audioinput', audio, 'Microphone');
  };
  // The form works at once; joining waits for the devices asked for.
  const ready = acquire(wantAudio, wantVideo).then(async (got) => {
    audio = got.audio;
    video = got.video;
    if (audio) audio.enabled = !micOff;
    if (video) video.enabled = !camOff;
    mediaStatus.textContent = got.problem;
    showPreview();
    meterOn();
    await fill();
  });

  let leaving = false;
  const stopAll = () => {
    meterOff();
    for (const t of [audio, video]) if (t) t.stop();
  };
  window.addEventListener('pagehide', () => {
    if (!leaving) stopAll();
  }, { once: true });
  const change = async (kind) => {
    const sel = kind === 'audio' ? microphone : camera;
    const old = kind === 'audio' ? audio : video;
    if (old && old.getSettings().deviceId === sel.value) return;
    if (old) old.stop();
    const g = await acquire(kind === 'audio', kind === 'video', kind === 'audio' ? sel.value : '', kind === 'video' ? sel.value : '');
    if (kind === 'audio') {
      audio = g.audio;
      if (audio) audio.enabled = !micOff;
      meterOn();
    } else {
      video = g.video;
      if (video) video.enabled = !camOff;
    }
    mediaStatus.textContent = g.problem;
    showPreview();
  };
  ready.then(() => {
    if (document.body.dataset.state === 'joining' && join.disabled) return;
    setState('lobby');
  });
  if (camera) camera.addEventListener('change', () => change('video'));
  if (microphone) microphone.addEventListener('change', () => change('audio'));

  const retoken = (participantName) => memberToken(roomId, {
    secret: cred.secret, bearer: cred.bearer, joinMeeting: true, participantName: fixedName ? undefined : participantName,
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const n = name.value.trim();
    if (!n || n.length > 50) {
      err.textContent = 'Enter a name of 1 to 50 characters.';
      name.focus();
      return;
    }
    if (!fixedName && ls) ls.setItem(NAME_KEY, n);
    join.disabled = true;
    setState('joining');
    await ready;
    let token;
    try {
      token = await retoken(n);
    } catch (ex) {
      join.disabled = false;
      if (ex instanceof ApiError && (ex.status === 400 || ex.status === 422) && !/secret/i.test(ex.message)) {
        setState('lobby');
        err.textContent = ex.message;
        return;
      }
      stopAll();
      if (ex instanceof ApiError && ex.status === 401) storeBearer(null);
      showApiError(ex, () => location.reload());
      return;
    }
    leaving = true;
    meterOff();
    preview.srcObject = null;
    onJoin({ token, claims: decodeToken(token), roomId, roomName, speakerUrl, audio, video, audioMuted: micOff, videoMuted: camOff, name: n });
  });
}
