// DOM helpers of the player: the meeting client's (text always through textContent,
// never as HTML), and the player's own time formats.
export { h, setState, mount, showNotice } from '../client/dom.js';

/** clock formats seconds as m:ss (h:mm:ss from an hour). */
export function clock(sec) {
  const s = Math.max(0, Math.floor(sec || 0));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** spoken formats seconds for screen readers: "1 minute 5 seconds". */
export function spoken(sec) {
  const s = Math.max(0, Math.round(sec || 0));
  const m = Math.floor(s / 60);
  const r = s % 60;
  const parts = [];
  if (m) parts.push(m === 1 ? '1 minute' : `${m} minutes`);
  if (r || !m) parts.push(r === 1 ? '1 second' : `${r} seconds`);
  return parts.join(' ');
}
