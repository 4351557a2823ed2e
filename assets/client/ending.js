// How a meeting ends: the full-page notice ({state, title, detail, rejoin}) for each way
// the server, a moderator or the network ends it (docs/signalling.md, close codes).

const GOING_AWAY = 'It is shutting down or restarting. Try again in a moment.';
const MEDIA_FAILED = 'Audio and video could not be exchanged with the server.';

const notice = (state, title, detail, rejoin) => ({ state, title, detail, rejoin });

/** LEFT is shown when the user left. */
export const LEFT = notice('left', 'You left the meeting', '', true);

/** GAVE_UP is shown when reconnecting ran out of time. */
export const GAVE_UP = notice('lost', 'Connection lost', 'The connection to the meeting could not be restored.', true);

/** connectFailed is shown when no WebSocket could be made at all. */
export function connectFailed(e) {
  return notice('error', 'Could not connect', String(e.message || e), true);
}

/**
 * frameEnding is the notice announced by a frame that precedes the server's close
 * (kicked, ended, goingAway, error media_failed), or null.
 */
export function frameEnding(f) {
  switch (f.type) {
    case 'kicked': return notice('kicked', 'You were removed from the meeting', f.reason || 'A moderator removed you.', false);
    case 'ended': return notice('ended', 'The meeting has ended', f.reason || '', true);
    case 'goingAway': return notice('goingAway', 'The server is going away', f.reason || GOING_AWAY, true);
    case 'error':
      if (f.code === 'media_failed') return notice('error', 'The media connection failed', f.message || MEDIA_FAILED, true);
      return null;
    default: return null;
  }
}

/**
 * closeEnding is the notice for a close of the socket with code and reason, error being
 * the error frame before `joined` (if any); 'lobby' when the token expired after having
 * joined (the link must be opened again); null when the client should reconnect.
 */
export function closeEnding({ code, reason, error }, joinedOnce, reconnecting) {
  const ec = error && error.code;
  if (code === 4004) return notice('kicked', 'You were removed from the meeting', reason || '', false);
  if (code === 4005) return notice('ended', 'The meeting has ended', reason || '', true);
  if (code === 1001) return notice('goingAway', 'The server is going away', reason || GOING_AWAY, true);
  if (code === 4006) return notice('error', 'The media connection failed', reason || MEDIA_FAILED, true);
  if (code === 4007) return notice('left', 'This meeting continues elsewhere', 'You joined from another tab or window, which took over this seat.', true);
  if (code === 4001 || ec === 'unauthenticated') {
    // The token expired while we were away: the link must be opened again.
    if (joinedOnce) return 'lobby';
    return notice('error', 'Your access has expired', (error && error.message) || 'Open the meeting link again.', true);
  }
  if (code === 4003 || ec) {
    const msg = (error && error.message) || reason || '';
    switch (ec) {
      case 'room_closed': return notice('closed', 'This room is closed', msg, false);
      case 'already_joined': return notice('error', 'You are already in this meeting', 'This link is in use in another tab or window. Close it there, then rejoin.', true);
      case 'forbidden': return notice('denied', 'You may not join this meeting', msg, false);
      case 'not_found': return notice('notfound', 'Room not found', msg || 'This room does not exist any more.', false);
      case 'bad_resume': return notice('lost', 'Connection lost', 'The connection could not be resumed.', true);
      default: return notice('error', 'You could not join the meeting', msg, true);
    }
  }
  if (code === 1000) return notice('left', 'You left the meeting', reason || '', true);
  if (!joinedOnce && !reconnecting) {
    return notice('error', 'Could not connect to the meeting', 'The connection to the server failed.', true);
  }
  return null;
}
