// The access token of this tab: from the page address (?token= or
// #token=, removed from the address bar and history at once) or typed in,
// kept in sessionStorage so a reload does not ask again.

const KEY = 'peerscope.token';

export function rememberToken(token) {
  try { sessionStorage.setItem(KEY, token); } catch { /* storage off: not remembered */ }
}

export function initialToken() {
  const q = new URLSearchParams(location.search);
  const f = new URLSearchParams(location.hash.slice(1));
  let token = '';
  try { token = sessionStorage.getItem(KEY) || ''; } catch { token = ''; }
  const given = q.get('token') || f.get('token');
  if (given) {
    token = given;
    rememberToken(token);
  }
  if (q.has('token') || f.has('token')) {
    q.delete('token');
    f.delete('token');
    const qs = q.toString();
    const fs = f.toString();
    history.replaceState(null, '', `${location.pathname}${qs ? `?${qs}` : ''}${fs ? `#${fs}` : ''}`);
  }
  return token;
}
