// The user's side of a sign-in, a device approval or a sign-out at panva's
// oidc-provider, over plain HTTP with a cookie jar kept in a file (so a
// later run is the same browser): follows redirects within the provider,
// fills the devInteractions login form, consents, confirms the device code
// and the logout, and stops when a redirect leaves the provider (then GETs
// it, as a browser delivers a redirect to a loopback app) or, for a device
// approval, at the success page. For the C++ tests (ffi/cpp/tests), which
// have no HTTP client of their own.
//
// usage: node http-user.mjs URL ISSUER COOKIE_FILE [LOGIN]
// prints one JSON line: {"final_url": ..., "delivered": bool, "steps": n}
// and exits non-zero on anything unexpected.
import fs from 'node:fs';

const [start, issuer, cookieFile, login = 'alice'] = process.argv.slice(2);
if (!start || !issuer || !cookieFile) {
  console.error('usage: node http-user.mjs URL ISSUER COOKIE_FILE [LOGIN]');
  process.exit(2);
}
const jar = new Map(fs.existsSync(cookieFile) ? JSON.parse(fs.readFileSync(cookieFile, 'utf8')) : []);
const save = () => fs.writeFileSync(cookieFile, JSON.stringify([...jar]));
const request = async (url, init = {}) => {
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers || {}), cookie } });
  for (const c of r.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const at = pair.indexOf('=');
    const [k, v] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    if (/expires=Thu, 01 Jan 1970/i.test(c) || v === '') jar.delete(k); else jar.set(k, v);
  }
  save();
  const location = r.headers.get('location');
  return { status: r.status, location: location && new URL(location, url).href, body: await r.text(), url };
};
const attr = (tag, name) => (tag.match(new RegExp(`${name}="([^"]*)"`)) || [])[1];
let page = await request(start);
for (let steps = 1; steps <= 25; steps++) {
  if (page.location) {
    if (!page.location.startsWith(issuer)) {
      let delivered = false;
      try { await fetch(page.location); delivered = true; } catch { /* nobody listens */ }
      console.log(JSON.stringify({ final_url: page.location, delivered, steps }));
      process.exit(0);
    }
    page = await request(page.location);
    continue;
  }
  const form = page.body.match(/<form[^>]*>/);
  if (!form) {
    if (page.status === 200 && /Sign-in Success/.test(page.body)) {
      console.log(JSON.stringify({ final_url: page.url, delivered: false, steps }));
      process.exit(0);
    }
    console.error(`unexpected page ${page.status} at ${page.url}: ${page.body.slice(0, 400)}`);
    process.exit(1);
  }
  const fields = new URLSearchParams();
  const rest = page.body.slice(page.body.indexOf(form[0]));
  for (const input of rest.match(/<input[^>]*>/g) || []) {
    if (attr(input, 'type') === 'hidden') fields.set(attr(input, 'name'), attr(input, 'value') || '');
  }
  if (/name="login"/.test(page.body)) { fields.set('login', login); fields.set('password', 'any-password'); }
  if (/name="logout"/.test(page.body)) fields.set('logout', 'yes');
  page = await request(new URL(attr(form[0], 'action'), page.url).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  });
}
console.error('no end after 25 steps');
process.exit(1);
