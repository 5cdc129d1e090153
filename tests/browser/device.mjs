// The user's side of the device grant in a real headless Chromium: opens
// the verification URI, types the user code, confirms, logs in and
// consents on panva's oidc-provider pages, and stops at its success page.
//
// usage: node device.mjs VERIFICATION_URI USER_CODE USER_DATA_DIR [LOGIN]
// prints one JSON line: {"final_url": ..., "title": ..., "steps": [...]}
import { chromium } from 'playwright-core';

const [verificationUri, userCode, userDataDir, login = 'alice'] = process.argv.slice(2);
if (!verificationUri || !userCode || !userDataDir) {
  console.error('usage: node device.mjs VERIFICATION_URI USER_CODE USER_DATA_DIR [LOGIN]');
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
const submit = async (page, selector) => {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
};
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(verificationUri, { waitUntil: 'load' });
  for (let i = 0; i < 10; i++) {
    const title = await page.title();
    console.error(`at ${page.url()} (${title})`);
    if (title === 'Sign-in Success') break;
    if (await page.locator('#op\\.deviceInputForm input[name="user_code"]').count()) {
      steps.push('user_code');
      await page.fill('input[name="user_code"]', userCode);
      await submit(page, 'button[form="op.deviceInputForm"]');
    } else if (await page.locator('#op\\.deviceConfirmForm').count()) {
      steps.push('confirm');
      await submit(page, 'button[autofocus][form="op.deviceConfirmForm"]');
    } else if (await page.locator('input[name="login"]').count()) {
      steps.push('login');
      await page.fill('input[name="login"]', login);
      await page.fill('input[name="password"]', 'any-password');
      await submit(page, 'button[type="submit"]');
    } else if (await page.locator('input[name="prompt"][value="consent"]').count()) {
      steps.push('consent');
      await submit(page, 'button[type="submit"]');
    } else {
      throw new Error(`unexpected page ${page.url()}: ${(await page.content()).slice(0, 500)}`);
    }
  }
  const title = await page.title();
  if (title !== 'Sign-in Success') throw new Error(`never reached the success page; at ${page.url()}`);
  console.log(JSON.stringify({ final_url: page.url(), title, steps }));
} finally {
  await context.close();
}
