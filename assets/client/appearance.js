// The rooms' appearance (OpenVidu Meet's config/rooms/appearance): the first enabled theme
// sets the page's light or dark base and its colours. Without one, the system's light or
// dark scheme and Conclave's own colours apply.

import { roomAppearance } from './api.js';

const HEX = /^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$/;

function rgb(hex) {
  let s = hex.slice(1);
  if (s.length === 3) s = s.split('').map((c) => c + c).join('');
  return [0, 2, 4].map((i) => parseInt(s.slice(i, i + 2), 16) / 255);
}

/** luminance is the relative luminance of a hex colour (WCAG). */
function luminance(hex) {
  const [r, g, b] = rgb(hex).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** onColour is black or white, whichever reads better on hex. */
function onColour(hex) {
  return luminance(hex) > 0.35 ? '#111418' : '#ffffff';
}

/** applyTheme sets the page's variables from theme (null: the defaults). */
export function applyTheme(theme) {
  const root = document.documentElement;
  const vars = ['--bg', '--surface', '--surface-2', '--text', '--muted', '--accent', '--accent-text', '--speaking'];
  for (const v of vars) root.style.removeProperty(v);
  delete root.dataset.theme;
  if (!theme || theme.enabled === false) return;
  if (theme.baseTheme === 'light' || theme.baseTheme === 'dark') root.dataset.theme = theme.baseTheme;
  const set = (v, c) => {
    if (typeof c === 'string' && HEX.test(c)) root.style.setProperty(v, c);
  };
  set('--bg', theme.backgroundColor);
  if (typeof theme.backgroundColor === 'string' && HEX.test(theme.backgroundColor)) {
    root.style.setProperty('--text', onColour(theme.backgroundColor));
  }
  set('--surface', theme.surfaceColor);
  set('--surface-2', theme.secondaryColor);
  set('--accent', theme.primaryColor);
  if (typeof theme.primaryColor === 'string' && HEX.test(theme.primaryColor)) {
    root.style.setProperty('--accent-text', onColour(theme.primaryColor));
  }
  set('--speaking', theme.accentColor);
}

/** applyAppearance reads the rooms' appearance and applies it; a failure keeps the defaults. */
export async function applyAppearance() {
  try {
    const cfg = await roomAppearance();
    const themes = (cfg && cfg.appearance && cfg.appearance.themes) || [];
    applyTheme(themes.find((t) => t && t.enabled) || null);
  } catch {
    /* the defaults stay */
  }
}
