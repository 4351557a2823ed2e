// The home page, <base>/: for visitors, what Conclave is and how to get into a meeting;
// for a signed-in user, the rooms it may enter with their live state, the recordings it
// may watch, its password change and signing out.

import { forcedChange, passwordForm, signIn, storeBearer, storedBearer } from './account.js';
import { ApiError, basePath, listRecordings, listRooms, logout, me } from './api.js';
import { h, mount, setState, showNotice } from './dom.js';

const REFRESH_MS = 10000;

const STATUS_WORDS = {
  open: 'No meeting now',
  active_meeting: 'Meeting in progress',
  closed: 'Closed',
};

/** runHome shows the home page. */
export async function runHome() {
  let bearer = storedBearer();
  if (!bearer) return visitor();
  let user;
  try {
    user = await me(bearer);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      storeBearer(null);
      return visitor('Your session has ended: sign in again.');
    }
    return showNotice('error', 'The server could not be reached', e.message, [{ label: 'Try again', primary: true, onClick: () => location.reload() }]);
  }
  if (user.mustChangePassword) {
    bearer = await forcedChange(bearer, '', { next: 'continue' });
    user = await me(bearer);
  }
  return signedIn(bearer, user);
}

/** visitor is the page of someone not signed in. */
function visitor(why = '') {
  setState('home-visitor');
  document.title = 'Conclave';
  const signInBtn = h('button', { id: 'home-signin', type: 'button', class: 'primary', text: 'Sign in' });
  signInBtn.addEventListener('click', async () => {
    const bearer = await signIn({ title: 'Sign in to Conclave', intro: 'Sign in with the account an administrator gave you.' });
    const user = await me(bearer);
    signedIn(bearer, user);
  });
  mount(h('main', { class: 'home', 'aria-labelledby': 'home-title' },
    h('div', { class: 'card home-intro' },
      h('h1', { id: 'home-title', text: 'Conclave' }),
      h('p', { text: 'Conclave is a video meeting server: people meet in rooms, from the browser, with nothing to install.' }),
      h('h2', { text: 'How do I join a meeting?' }),
      h('p', { text: 'Open the link you were given by whoever runs the meeting: it leads straight to the room. Without a link, ask them for one.' }),
      h('h2', { text: 'Do you have an account?' }),
      h('p', { text: 'Sign in to see the rooms you may enter and their recordings, and to change your password.' }),
      why ? h('p', { class: 'form-error', role: 'alert', text: why }) : null,
      h('p', { class: 'notice-actions' }, signInBtn))));
  signInBtn.focus();
}

/** signedIn is the page of a signed-in user. */
function signedIn(initialBearer, user) {
  let bearer = initialBearer;
  setState('home');
  document.title = 'Home · Conclave';
  const rooms = h('ul', { id: 'home-rooms', class: 'home-list', 'aria-live': 'polite' });
  const roomsNote = h('p', { id: 'home-rooms-note', class: 'muted' });
  const recordings = h('ul', { id: 'home-recordings', class: 'home-list' });
  const recordingsNote = h('p', { id: 'home-recordings-note', class: 'muted' });
  const out = h('button', { id: 'home-signout', type: 'button', text: 'Sign out' });
  let timer = 0;
  out.addEventListener('click', async () => {
    clearTimeout(timer);
    try {
      await logout(bearer);
    } catch { /* signed out here whatever the server says */ }
    storeBearer(null);
    visitor();
  });
  const who = user.name && user.name !== user.userId ? `${user.name} (${user.userId})` : user.userId;
  mount(h('div', { class: 'home' },
    h('header', { class: 'home-top' },
      h('h1', { id: 'home-title', text: 'Conclave' }),
      h('span', { class: 'muted', id: 'home-user', text: `Signed in as ${who}` }),
      out),
    h('main', { class: 'home-main' },
      h('section', { class: 'card', 'aria-labelledby': 'rooms-title' },
        h('h2', { id: 'rooms-title', text: 'Your rooms' }), roomsNote, rooms),
      h('section', { class: 'card', 'aria-labelledby': 'recordings-title' },
        h('h2', { id: 'recordings-title', text: 'Recordings' }), recordingsNote, recordings),
      h('section', { class: 'card' }, passwordForm(() => bearer, (tok) => { bearer = tok; })))));

  const drawRooms = async () => {
    let page;
    try {
      page = await listRooms(bearer);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        storeBearer(null);
        clearTimeout(timer);
        visitor('Your session has ended: sign in again.');
        return;
      }
      roomsNote.textContent = `The rooms could not be read: ${e.message}`;
      timer = setTimeout(drawRooms, REFRESH_MS);
      return;
    }
    const list = (page && page.rooms) || [];
    roomsNote.textContent = list.length ? '' : 'There is no room you may enter yet. A room manager or an administrator can make you a member of one.';
    rooms.replaceChildren(...list.map((r) => {
      const live = r.status === 'active_meeting';
      const join = r.status === 'closed'
        ? h('span', { class: 'muted', text: 'Closed' })
        : h('a', { class: 'button' + (live ? ' primary' : ''), href: `${basePath}/room/${encodeURIComponent(r.roomId)}`, text: live ? 'Join the meeting' : 'Enter', 'aria-label': `Enter ${r.roomName || r.roomId}` });
      return h('li', { dataset: { roomId: r.roomId, status: r.status } },
        h('span', { class: 'home-item' },
          h('span', { class: 'home-name', text: r.roomName || r.roomId }),
          h('span', { class: 'room-state' + (live ? ' live' : ''), text: STATUS_WORDS[r.status] || r.status })),
        join);
    }));
    if (document.body.dataset.state === 'home') timer = setTimeout(drawRooms, REFRESH_MS);
  };

  const drawRecordings = async () => {
    let page;
    try {
      page = await listRecordings({ bearer });
    } catch (e) {
      recordingsNote.textContent = e instanceof ApiError && e.status === 403 ? 'You may not list recordings.' : `The recordings could not be read: ${e.message}`;
      return;
    }
    const list = ((page && page.recordings) || []).filter((r) => r.status === 'complete');
    recordingsNote.textContent = list.length ? '' : 'No recording you may watch yet.';
    recordings.replaceChildren(...list.map((r) => h('li', { dataset: { recordingId: r.recordingId } },
      h('span', { class: 'home-item' },
        h('span', { class: 'home-name', text: r.roomName || r.roomId }),
        h('span', { class: 'muted', text: describeRecording(r) })),
      h('a', { class: 'button', href: `${basePath}/recording/${encodeURIComponent(r.recordingId)}`, text: 'Watch' }))));
  };
  drawRooms();
  drawRecordings();
}

function describeRecording(r) {
  let when = '';
  try {
    when = new Date(r.startDate).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
  } catch { /* no date */ }
  const d = typeof r.duration === 'number' ? ` · ${Math.floor(r.duration / 60)} min ${Math.round(r.duration % 60)} s` : '';
  return when + d;
}
