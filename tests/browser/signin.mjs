// Signs in through a real headless Chromium: opens the authorization URL,
// logs in and consents on panva's oidc-provider devInteractions pages (or
// presses Approve on oauthkit's dev provider page), and stops once the
// browser reaches the redirect URI.
//
// usage: node signin.mjs AUTHORIZE_URL REDIRECT_PREFIX USER_DATA_DIR [LOGIN]
// prints one JSON line: {"final_url": ..., "status_text": ..., "steps": [...]}
import { chromium } from 'playwright-core';

const [authorizeUrl, redirectPrefix, userDataDir, login = 'alice'] = process.argv.slice(2);
if (!authorizeUrl || !redirectPrefix || !userDataDir) {
  console.error('usage: node signin.mjs AUTHORIZE_URL REDIRECT_PREFIX USER_DATA_DIR [LOGIN]');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const steps = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  if (process.env.SIGNIN_DEBUG) {
    page.on('response', (r) => console.error('response', r.status(), r.url().slice(0, 120)));
    page.on('requestfailed', (r) => console.error('failed', r.url().slice(0, 120), r.failure()?.errorText));
  }
  await page.goto(authorizeUrl, { waitUntil: 'load' });
  for (let i = 0; i < 10 && !page.url().startsWith(redirectPrefix); i++) {
    console.error(`at ${page.url()}`);
    if (await page.locator('input[name="login"]').count()) {
      steps.push('login');
      await page.fill('input[name="login"]', login);
      await page.fill('input[name="password"]', 'any-password');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type="submit"]')]);
    } else if (await page.locator('input[name="prompt"][value="consent"]').count()) {
      steps.push('consent');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type="submit"]')]);
    } else if (await page.locator('button[value="approve"]').count()) {
      steps.push('approve');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[value="approve"]')]);
    } else {
      throw new Error(`unexpected page ${page.url()}: ${(await page.content()).slice(0, 500)}`);
    }
  }
  const finalUrl = page.url();
  if (!finalUrl.startsWith(redirectPrefix)) throw new Error(`never reached ${redirectPrefix}; at ${finalUrl}`);
  const statusText = await page.locator('h1').first().textContent().catch(() => '');
  console.log(JSON.stringify({ final_url: finalUrl, status_text: statusText, steps }));
} finally {
  await context.close();
}
