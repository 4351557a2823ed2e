// The timeline: one row per participant, bars where it was present and, darker, where it
// spoke; a playhead; a click anywhere on a row's track seeks every stream there. Keyboard
// and screen-reader users get the same through the position slider and each row's text.

import { clock, h, spoken } from './dom.js';

const MAX_SPOKEN = 12; // intervals read out per row; the rest are summarised

function pct(x, duration) {
  return duration > 0 ? Math.max(0, Math.min(100, (x / duration) * 100)) : 0;
}

function bars(intervals, duration, cls) {
  return intervals.map(([a, b]) => h('span', {
    class: cls,
    style: { left: pct(a, duration) + '%', width: Math.max(0.3, pct(b, duration) - pct(a, duration)) + '%' },
  }));
}

function describe(p, speakingKnown) {
  const say = (ivs) => {
    const list = ivs.slice(0, MAX_SPOKEN).map(([a, b]) => `${clock(a)} to ${clock(b)}`).join(', ');
    return ivs.length > MAX_SPOKEN ? `${list} and ${ivs.length - MAX_SPOKEN} more times` : list;
  };
  let text = p.present.length ? `${p.name}: present ${say(p.present)}.` : `${p.name}: no stream recorded.`;
  if (speakingKnown) {
    const total = p.speaking.reduce((n, [a, b]) => n + (b - a), 0);
    text += p.speaking.length ? ` Spoke ${spoken(total)} in all: ${say(p.speaking)}.` : ' Did not speak.';
    if (p.speakingTruncated) text += ' Later speech was not listed.';
  }
  return text;
}

/**
 * renderTimeline builds the timeline of data (the timeline JSON) and calls onSeek(t) when
 * a track is clicked. It returns {el, setTime(t)}.
 */
export function renderTimeline(data, onSeek) {
  const duration = data.duration || 0;
  const speakingKnown = !!data.speakingKnown;
  const playheads = [];
  const rows = data.participants.map((p, i) => {
    const id = `tl-row-${i}`;
    const head = h('span', { class: 'tl-playhead', 'aria-hidden': 'true' });
    playheads.push(head);
    const track = h('div', { class: 'tl-track', dataset: { identity: p.identity }, 'aria-hidden': 'true' },
      bars(p.present, duration, 'tl-present'),
      speakingKnown ? bars(p.speaking, duration, 'tl-speaking') : null,
      head);
    track.addEventListener('click', (e) => {
      const r = track.getBoundingClientRect();
      if (r.width <= 0) return;
      onSeek(((e.clientX - r.left) / r.width) * duration);
    });
    return h('li', { class: 'tl-row', dataset: { identity: p.identity }, 'aria-describedby': id },
      h('span', { class: 'tl-name', text: p.name, title: p.name }),
      track,
      h('span', { class: 'visually-hidden', id, text: describe(p, speakingKnown) }));
  });
  const legend = h('p', { class: 'tl-legend', 'aria-hidden': 'true' },
    h('span', { class: 'tl-key tl-key-present' }), ' present',
    speakingKnown ? [h('span', { class: 'tl-key tl-key-speaking' }), ' speaking'] : ' (who spoke was not recorded)',
    ' · click a row to jump there');
  const el = h('section', { class: 'timeline', 'aria-labelledby': 'timeline-title' },
    h('h2', { id: 'timeline-title', text: speakingKnown ? 'Who was there and who spoke' : 'Who was there' }),
    legend,
    rows.length ? h('ol', { class: 'tl-rows', id: 'timeline' }, rows)
      : h('p', { class: 'muted', text: 'No participant was recorded.' }));
  return {
    el,
    setTime(t) {
      const left = pct(t, duration) + '%';
      for (const ph of playheads) ph.style.left = left;
    },
  };
}
