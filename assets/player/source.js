// Where the player's data comes from: the one JSON document of the recording, and the
// credentials to read it with. A share-link page changes only timelineURL (and, for a
// password, passwordHeaders); everything else the page does follows from the JSON.

/** basePath is where the server mounts Conclave ("/meet", or "" at the root). */
export const basePath = (() => {
  const meta = document.querySelector('meta[name="conclave-base"]');
  let b = meta ? meta.content : '';
  if (b.includes('__CONCLAVE_BASE__')) {
    const i = location.pathname.indexOf('/recording/');
    b = i >= 0 ? location.pathname.slice(0, i) : '/meet';
  }
  return b.replace(/\/+$/, '');
})();

/**
 * timelineURL maps the page's own address to the JSON it shows. It is the only place that
 * knows the page's address scheme; it returns null for an address it does not know.
 *   <base>/recording/{id}                          → <base>/api/v1/recordings/{id}/timeline
 *   <base>/recording/{id}?share={linkId}&secret=…  → <base>/api/v1/shared-recordings/{linkId}?secret=…
 *   <base>/recording/{id}?secret=…                 → the timeline, with a room-member token
 *                                                    got for the room's secret (the room's
 *                                                    recording link, a member's link)
 */
export function timelineURL(loc = location) {
  const rest = loc.pathname.slice(basePath.length);
  const m = /^\/recording\/([^/]+)\/?$/.exec(rest);
  if (!m) return null;
  const recordingId = decodeURIComponent(m[1]);
  const q = new URLSearchParams(loc.search);
  const link = q.get('share');
  if (link) {
    return {
      url: `${basePath}/api/v1/shared-recordings/${encodeURIComponent(link)}?secret=${encodeURIComponent(q.get('secret') || '')}`,
      recordingId, share: true,
    };
  }
  return { url: `${basePath}/api/v1/recordings/${m[1]}/timeline`, recordingId, share: false, secret: q.get('secret') || '' };
}

/** ApiError is a refused request: HTTP status, error title, message and reason code. */
export class ApiError extends Error {
  constructor(status, error, message, code) {
    super(message || error || `HTTP ${status}`);
    this.status = status;
    this.error = error || '';
    this.code = code || '';
  }
}

const BEARER_KEY = 'conclave.accessToken'; // the meeting client's key: one sign-in per tab

function session() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function storedBearer() {
  const s = session();
  return s ? s.getItem(BEARER_KEY) : null;
}

export function storeBearer(tok) {
  const s = session();
  if (!s) return;
  if (tok) s.setItem(BEARER_KEY, tok);
  else s.removeItem(BEARER_KEY);
}

/**
 * storedMemberToken is a room-member token a page of the room left for the player (the
 * meeting client's "recordings" link): sessionStorage conclave.memberToken.<roomId>.
 */
export function storedMemberToken(roomId) {
  const s = session();
  return s && roomId ? s.getItem('conclave.memberToken.' + roomId) : null;
}

async function request(method, url, { body, headers = {} } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiError(0, 'Network error', 'The server could not be reached. Check your connection and try again.');
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    throw new ApiError(res.status, data && data.error, (data && data.message) || res.statusText, data && data.code);
  }
  return data;
}

/** login signs an internal user in: {accessToken, refreshToken, mustChangePassword?}. */
export function login(userId, password) {
  return request('POST', basePath + '/internal-api/v1/auth/login', { body: { userId, password } });
}

/**
 * loadTimeline reads the recording's JSON with what the tab holds: a signed-in user's
 * access token, else a member token of the room, else the player cookie a previous
 * visit left (the server accepts it on that recording's paths). extra are headers a
 * share-link password form adds.
 */
export async function loadTimeline(src, extra = {}) {
  const headers = { ...extra };
  const roomId = (src.recordingId.split('--')[0]) || '';
  if (src.secret) {
    // The link's secret decides, as in the meeting client, whoever is signed in.
    headers['X-Room-Member-Token'] = await memberTokenFor(roomId, src.secret);
    return request('GET', src.url, { headers });
  }
  const bearer = storedBearer();
  const member = storedMemberToken(roomId);
  if (bearer) headers.Authorization = 'Bearer ' + bearer; // a private share link needs it
  else if (member && !src.share) headers['X-Room-Member-Token'] = member;
  if (!src.share) return request('GET', src.url, { headers });
  let data;
  try {
    data = await request('GET', src.url, { headers });
  } catch (err) {
    // A sign-in that ended does not matter to a public link: try once without it.
    if (!(bearer && err instanceof ApiError && err.status === 401 && !err.code)) throw err;
    storeBearer(null);
    delete headers.Authorization;
    data = await request('GET', src.url, { headers });
  }
  return fromShareLink(data);
}

/** memberTokenFor exchanges a room's secret for a room-member token. */
async function memberTokenFor(roomId, secret) {
  let data;
  try {
    data = await request('POST', `${basePath}/internal-api/v1/rooms/${encodeURIComponent(roomId)}/members/token`, { body: { secret } });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 400 || err.status === 401 || err.status === 422)) {
      throw new ApiError(err.status, err.error, err.message, 'room_link_invalid');
    }
    throw err;
  }
  if (!data || typeof data.token !== 'string') throw new ApiError(500, 'Bad answer', 'The server gave no token.');
  return data.token;
}

/** samePath keeps the path and query of a url the server handed out, on this origin. */
function samePath(u) {
  if (!u) return u;
  const x = new URL(u, location.href);
  return x.pathname + x.search;
}

/**
 * fromShareLink turns a share link's answer (GET …/shared-recordings/{linkId}) into the
 * timeline's shape: who was there and who spoke as the server gives them (else who was
 * there from the streams); the room's other recordings are not given to link holders.
 */
export function fromShareLink(d) {
  const rec = d.recording || {};
  const recStreams = rec.streams || [];
  const streams = (d.streams || []).map((s, i) => ({
    index: s.index, identity: (recStreams[i] && recStreams[i].identity) || `stream-${s.index}`,
    name: s.name, kind: s.kind, offset: s.offset || 0, duration: s.duration || 0, mediaUrl: samePath(s.mediaUrl),
  }));
  const people = new Map();
  for (const s of streams) {
    if (!people.has(s.identity)) people.set(s.identity, { identity: s.identity, name: s.name || s.identity, role: '', present: [], speaking: null });
    people.get(s.identity).present.push([s.offset, Math.min(rec.duration || Infinity, s.offset + s.duration)]);
  }
  for (const p of people.values()) {
    p.present.sort((a, b) => a[0] - b[0]);
    p.present = p.present.reduce((out, iv) => {
      const last = out[out.length - 1];
      if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
      else out.push([iv[0], iv[1]]);
      return out;
    }, []);
  }
  // The server says who was there and who spoke, where it can; else it is read from the
  // streams, without who spoke.
  const given = Array.isArray(d.participants) && d.participants.length > 0;
  return {
    recordingId: rec.recordingId, roomId: rec.roomId, roomName: rec.roomName, status: rec.status,
    startDate: rec.startDate, endDate: rec.endDate, duration: rec.duration || 0,
    streams, participants: given ? d.participants : [...people.values()], speakingKnown: given && !!d.speakingKnown,
    download: { allowed: !!d.downloadUrl, url: samePath(d.downloadUrl) },
    others: { allowed: false },
  };
}

/** passwordHeaders is how a share link's password goes with the JSON request. */
export function passwordHeaders(password) {
  return { 'X-Share-Password': password };
}
