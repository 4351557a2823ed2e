// The page of a room's recording link, <base>/room/{roomId}/recordings?secret=…: the
// room's finished recordings, each opening the player.

import { ApiError, basePath, getRoom, listRecordings, memberToken } from './api.js';
import { h, mount, setState, showNotice } from './dom.js';
import { showApiError } from './lobby.js';

/** runRoomRecordings shows the recordings of roomId reachable with secret. */
export async function runRoomRecordings(roomId, secret) {
  setState('loading');
  if (!secret) {
    showNotice('invalid', 'This link is not complete', 'A recordings link carries a secret. Ask the person who gave it to you for the whole link.');
    return;
  }
  let page;
  let room = null;
  try {
    const token = await memberToken(roomId, { secret });
    page = await listRecordings({ memberToken: token, roomId });
    room = await getRoom(roomId, token).catch(() => null);
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      showNotice('denied', 'You may not see these recordings', e.message);
      return;
    }
    showApiError(e);
    return;
  }
  const list = ((page && page.recordings) || []).filter((r) => r.status === 'complete');
  const roomName = (room && room.roomName) || (list[0] && list[0].roomName) || roomId;
  setState('recordings');
  document.title = `Recordings of ${roomName} · Conclave`;
  mount(h('main', { class: 'home' },
    h('section', { class: 'card', 'aria-labelledby': 'recordings-title' },
      h('h1', { id: 'recordings-title', text: `Recordings of ${roomName}` }),
      list.length ? null : h('p', { id: 'home-recordings-note', class: 'muted', text: 'This room has no finished recording yet.' }),
      h('ul', { id: 'home-recordings', class: 'home-list' }, list.map((r) => h('li', { dataset: { recordingId: r.recordingId } },
        h('span', { class: 'home-item' },
          h('span', { class: 'home-name', text: new Date(r.startDate).toLocaleString() }),
          h('span', { class: 'muted', text: typeof r.duration === 'number' ? `${Math.round(r.duration)} s` : '' })),
        h('a', { class: 'button', href: `${basePath}/recording/${encodeURIComponent(r.recordingId)}?secret=${encodeURIComponent(secret)}`, text: 'Watch' })))))));
}
