// Small DOM helpers of the player. Text always goes in through textContent, never as HTML.

/**
 * h builds an element. attrs: class, text, dataset {}, on {event: fn}, hidden, and any
 * other attribute (false/null/undefined leave it out). Children are nodes or strings.
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

/** mount replaces the page's content with node. */
export function mount(node) {
  const app = document.getElementById('app');
  app.replaceChildren(node);
  return app;
}

/**
 * showNotice renders a full-page notice: title, detail and optional links
 * [{label, href}] or actions [{label, onClick}].
 */
export function showNotice(state, title, detail, actions = []) {
  setState(state);
  const main = h('main', { class: 'notice', 'aria-labelledby': 'notice-title' },
    h('div', { class: 'notice-card' },
      h('h1', { id: 'notice-title', tabindex: '-1', text: title }),
      h('p', { id: 'notice-detail', text: detail || '' }),
      actions.length ? h('p', { class: 'notice-actions' }, actions.map((a) => a.href
        ? h('a', { class: 'button', href: a.href, text: a.label })
        : h('button', { type: 'button', text: a.label, on: { click: a.onClick } }))) : null));
  mount(main);
  main.querySelector('h1').focus();
  document.title = title + ' · Conclave';
}

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
