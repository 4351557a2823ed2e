// Entry point of the browser client. <base>/room/{roomId}[?secret=…] runs the lobby, then
// the meeting; <base>/room/{roomId}/recordings?secret=… lists the room's recordings;
// <base>/ is the home page. Every failure ends on a full-page notice, never on a blank page.

import { basePath } from './api.js';
import { applyAppearance } from './appearance.js';
import { runHome } from './home.js';
import { runLobby } from './lobby.js';
import { startMeeting } from './meeting.js';
import { runRoomRecordings } from './roomrecordings.js';
import { showNotice } from './dom.js';

function failed(e) {
  console.error(e);
  showNotice('error', 'Something went wrong', String((e && e.message) || e), [
    { label: 'Try again', primary: true, onClick: () => location.reload() },
  ]);
}

function lobby(roomId) {
  const secret = new URLSearchParams(location.search).get('secret') || '';
  window.conclave = { pc: null, ws: null, identity: '', participants: [] };
  runLobby({
    roomId,
    secret,
    onJoin: (opts) => startMeeting(opts, () => lobby(roomId)),
  }).catch(failed);
}

function route() {
  const rest = location.pathname.startsWith(basePath) ? location.pathname.slice(basePath.length) : location.pathname;
  let m = rest.match(/^\/room\/([A-Za-z0-9_-]+)\/?$/);
  if (m) return lobby(m[1]);
  m = rest.match(/^\/room\/([A-Za-z0-9_-]+)\/recordings\/?$/);
  if (m) return runRoomRecordings(m[1], new URLSearchParams(location.search).get('secret') || '').catch(failed);
  if (rest === '' || rest === '/') return runHome().catch(failed);
  return showNotice('notfound', 'Page not found', 'This address does not name a page of Conclave. Check the link you were given.',
    [{ label: 'Home', href: basePath + '/' }]);
}

window.addEventListener('unhandledrejection', (e) => console.warn('conclave:', e.reason));
applyAppearance();
route();
