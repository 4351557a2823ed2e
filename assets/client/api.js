// REST calls of the browser client and the room-member token's claims.

/** basePath is where the server mounts Conclave ("/meet", or "" at the root). */
export const basePath = (() => {
  const meta = document.querySelector('meta[name="conclave-base"]');
  let b = meta ? meta.content : '';
  if (b.includes('__CONCLAVE_BASE__')) {
    // Not substituted (page opened some other way): everything before /room/.
    const i = location.pathname.indexOf('/room/');
    b = i >= 0 ? location.pathname.slice(0, i) : '/meet';
  }
  return b.replace(/\/+$/, '');
})();

/** ApiError is a refused request: HTTP status, OpenVidu Meet error title and message. */
export class ApiError extends Error {
  constructor(status, error, message, details) {
    super(message || error || `HTTP ${status}`);
    this.status = status;
    this.error = error || '';
    this.details = Array.isArray(details) ? details : []; // 422: [{field, message}]
  }

  /** fieldMessage is what the server said about field (422 details), or ''. */
  fieldMessage(field) {
    const d = this.details.find((x) => x && x.field === field);
    return d ? String(d.message || '') : '';
  }
}

async function request(method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(basePath + path, init);
  } catch (e) {
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
    throw new ApiError(res.status, data && data.error, (data && data.message) || res.statusText, data && data.details);
  }
  return data;
}

/** login signs an internal user in: {accessToken, refreshToken, mustChangePassword?}. */
export function login(userId, password) {
  return request('POST', '/internal-api/v1/auth/login', { body: { userId, password } });
}

const auth = (bearer) => (bearer ? { Authorization: 'Bearer ' + bearer } : {});

/** changePassword changes the signed-in user's password: {accessToken, refreshToken}. */
export function changePassword(bearer, currentPassword, newPassword) {
  return request('POST', '/internal-api/v1/users/change-password', { body: { currentPassword, newPassword }, headers: auth(bearer) });
}

/** me is the signed-in user: {userId, name, role, mustChangePassword?, …}. */
export function me(bearer) {
  return request('GET', '/internal-api/v1/users/me', { headers: auth(bearer) });
}

/** logout ends the session of the access token. */
export function logout(bearer) {
  return request('POST', '/internal-api/v1/auth/logout', { headers: auth(bearer) });
}

/** listRooms lists the rooms the signed-in user may see (first page of up to 100). */
export function listRooms(bearer) {
  return request('GET', '/api/v1/rooms?maxItems=100', { headers: auth(bearer) });
}

/**
 * listRecordings lists recordings the caller may list: with a bearer (a user) or a
 * room-member token (memberToken), optionally of one room.
 */
export function listRecordings({ bearer, memberToken: mt, roomId } = {}) {
  const q = roomId ? `&roomId=${encodeURIComponent(roomId)}` : '';
  const headers = mt ? { 'X-Room-Member-Token': mt } : auth(bearer);
  return request('GET', `/api/v1/recordings?maxItems=100${q}`, { headers });
}

/** roomAppearance is the rooms' appearance config ({appearance: {themes: […]}}). */
export function roomAppearance() {
  return request('GET', '/internal-api/v1/config/rooms/appearance');
}

/**
 * memberToken asks for a room-member token with a secret or a signed-in user's access
 * token (bearer). Returns the token string.
 */
export async function memberToken(roomId, { secret, bearer, joinMeeting = false, participantName } = {}) {
  const body = {};
  if (secret) body.secret = secret;
  if (joinMeeting) body.joinMeeting = true;
  if (participantName) body.participantName = participantName;
  const headers = bearer ? { Authorization: 'Bearer ' + bearer } : {};
  const data = await request('POST', `/internal-api/v1/rooms/${encodeURIComponent(roomId)}/members/token`, { body, headers });
  if (!data || typeof data.token !== 'string') throw new ApiError(500, 'Bad answer', 'The server gave no token.');
  return data.token;
}

/** getRoom reads the room with a room-member token. */
export function getRoom(roomId, token) {
  return request('GET', `/api/v1/rooms/${encodeURIComponent(roomId)}`, { headers: { 'X-Room-Member-Token': token } });
}

/** decodeToken returns the claims of a JWT without checking it (the server does). */
export function decodeToken(token) {
  const part = String(token).split('.')[1] || '';
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((part.length + 3) % 4);
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** signalURL is the WebSocket address of the signalling endpoint. */
export function signalURL(token, resume) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let u = `${proto}//${location.host}${basePath}/ws?token=${encodeURIComponent(token)}`;
  if (resume) u += `&resume=${encodeURIComponent(resume)}`;
  return u;
}
