// Small DOM helpers shared by the lobby, the meeting, the home page and the recording
// player (which imports them from here). Text always goes in through textContent, never
// as HTML.

/**
 * h builds an element. attrs: class, text, dataset {}, style {}, on {event: fn}, hidden,
 * and any other attribute (false/null/undefined leave it out). Children are nodes or
 * strings.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'hidden') el.hidden = !!v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** setState records the page's state for styling and for automated tests. */
export function setState(state) {
  document.body.dataset.state = state;
}

/** mount replaces the page's content with node and moves focus to its heading. */
export function mount(node) {
  const app = document.getElementById('app');
  app.replaceChildren(node);
  return app;
}

/**
 * showNotice renders a full-page notice: title, detail and optional actions
 * [{label, onClick, primary}] or links [{label, href}].
 */
export function showNotice(state, title, detail, actions = []) {
  setState(state);
  const main = h('main', { class: 'notice', 'aria-labelledby': 'notice-title' },
    h('div', { class: 'notice-card' },
      h('h1', { id: 'notice-title', text: title }),
      h('p', { id: 'notice-detail', text: detail || '' }),
      actions.length ? h('p', { class: 'notice-actions' }, actions.map((a) => a.href
        ? h('a', { class: 'button' + (a.primary ? ' primary' : ''), href: a.href, text: a.label })
        : h('button', { type: 'button', class: a.primary ? 'primary' : '', text: a.label, on: { click: a.onClick } }))) : null));
  mount(main);
  const first = main.querySelector('button, a') || main.querySelector('h1');
  if (first) {
    if (first.tagName === 'H1') first.tabIndex = -1;
    first.focus();
  }
  document.title = title + ' · Conclave';
}

/** rejoinAction reloads the room page, which runs the lobby again. */
export function rejoinAction(label = 'Rejoin') {
  return { label, primary: true, onClick: () => location.reload() };
}

/** formatTime shows a chat time as HH:MM in the user's locale. */
export function formatTime(ms) {
  try {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  } catch {
    return '';
  }
}

/** initials of a display name, for tiles without video. */
export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const s = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] || '?').slice(0, 2);
  return s.toUpperCase();
}

// Control icons: constant SVG markup (never user text), drawn with currentColor.
const ICONS = {
  mic: '<path d="M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z"/><path d="M19 11a7 7 0 0 1-14 0M12 18v3"/><path class="slash" d="M4 4l16 16"/>',
  camera: '<rect x="3" y="6" width="13" height="12" rx="2"/><path d="M16 10l5-3v10l-5-3z"/><path class="slash" d="M3 4l17 16"/>',
  screen: '<rect x="3" y="4" width="18" height="12" rx="2"/><path d="M8 20h8M12 16v4"/>',
  link: '<path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1"/><path d="M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"/>',
  chat: '<path d="M4 5h16v11H9l-5 4z"/>',
  record: '<circle cx="12" cy="12" r="9"/><circle class="fill rec-start" cx="12" cy="12" r="4"/><rect class="fill rec-stop" x="8.5" y="8.5" width="7" height="7" rx="1"/>',
  end: '<circle cx="12" cy="12" r="9"/><path d="M8 8l8 8M16 8l-8 8"/>',
  leave: '<path d="M14 4h5v16h-5M10 8l-4 4 4 4M6 12h10"/>',
  hand: '<path d="M8 13V5.5a1.5 1.5 0 0 1 3 0V11M11 10V4.5a1.5 1.5 0 0 1 3 0V11M14 10.5V6a1.5 1.5 0 0 1 3 0v8a6 6 0 0 1-6 6h-.5a6 6 0 0 1-4.8-2.4L3.6 14.2a1.5 1.5 0 0 1 2.3-1.9L8 14.5"/>',
  settings: '<circle cx="12" cy="12" r="3"/><path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z"/>',
  layout: '<rect x="3" y="4" width="8" height="7" rx="1"/><rect x="13" y="4" width="8" height="7" rx="1"/><rect x="3" y="13" width="8" height="7" rx="1"/><rect x="13" y="13" width="8" height="7" rx="1"/>',
};

/** icon returns an inline SVG icon, hidden from assistive technology. */
export function icon(name) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon');
  svg.innerHTML = ICONS[name] || '';
  return svg;
}
