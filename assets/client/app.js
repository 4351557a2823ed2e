// Entry point of the browser client: <base>/room/{roomId}[?secret=…] runs the lobby, then
// the meeting. Every failure ends on a full-page notice, never on a blank page.

import { runLobby } from './lobby.js';
import { startMeeting } from './meeting.js';
import { showNotice } from './dom.js';

function roomIdFromPath() {
  const m = location.pathname.match(/\/room\/([A-Za-z0-9_-]+)\/?$/);
  return m ? m[1] : '';
}

function lobby() {
  const roomId = roomIdFromPath();
  if (!roomId) {
    showNotice('notfound', 'Room not found', 'This address does not name a room. Check the link you were given.');
    return;
  }
  const secret = new URLSearchParams(location.search).get('secret') || '';
  window.conclave = { pc: null, ws: null, identity: '', participants: [] };
  runLobby({
    roomId,
    secret,
    onJoin: (opts) => startMeeting(opts, lobby),
  }).catch((e) => {
    console.error(e);
    showNotice('error', 'Something went wrong', String((e && e.message) || e), [
      { label: 'Try again', primary: true, onClick: () => location.reload() },
    ]);
  });
}

window.addEventListener('unhandledrejection', (e) => console.warn('conclave:', e.reason));
lobby();
