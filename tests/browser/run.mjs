// outloud in a real browser (issue 10 item 6): headless Debian chromium driven by
// playwright-core, a real OpenID Connect provider (oidc-provider), the daemon on a fresh SQLite
// database watching the mail stack's INBOX and sending through its Postfix.
// Run by scripts/browser-test.sh (which installs chromium and the npm packages); needs
// OUTLOUD_BIN and the mail stack's variables. Screenshots go to docs/screenshots/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { smtpSend, imapFind } from './mail.mjs';
import { startProvider } from './oidc.mjs';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const SHOTS = path.join(ROOT, 'docs/screenshots');
const env = (k) => { if (!process.env[k]) throw new Error(`${k} is not set`); return process.env[k]; };
const IMAP = Number(env('OUTLOUD_IMAP_PORT'));
const SMTP = Number(env('OUTLOUD_MAILSTACK_SMTP_PORT'));
const RUN = `r${Date.now().toString(36)}`;
const GROUP = `eng-${RUN}@corp.example`;
const started = Date.now();
const step = (m) => console.log(`browser-test: ${((Date.now() - started) / 1000).toFixed(1)}s ${m}`);

const freePort = () => new Promise((r) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); });
});
/** Poll `f` until it returns something truthy (the daemon and the mail stack work meanwhile). */
async function until(what, f, tries = 150) {
  for (let i = 0; i < tries; i++) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function config(dir, port, oidcPort) {
  return `[database]
url = "sqlite:${dir}/outloud.db"
[web]
bind = "127.0.0.1:${port}"
base_url = "http://127.0.0.1:${port}"
allowed_domains = ["corp.example"]
admins = ["ann@corp.example"]
oidc_issuer = "http://127.0.0.1:${oidcPort}"
oidc_client_id = "outloud"
oidc_client_secret_env = "OUTLOUD_BROWSER_OIDC_SECRET"
oidc_name = "Corp SSO"
[identity]
addresses = ["outloud@corp.example"]
[smtp]
host = "127.0.0.1"
port = ${SMTP}
tls = "none"
auth = "none"
from = "outloud@corp.example"
[[groups]]
slug = "eng"
name = "Engineering"
addresses = ["${GROUP}"]
[[mailboxes]]
name = "corp"
host = "127.0.0.1"
port = ${IMAP}
tls = "none"
user = "${env('OUTLOUD_IMAP_USER')}"
password_env = "OUTLOUD_BROWSER_IMAP_PASSWORD"
`;
}

async function startDaemon(dir, port, oidcPort) {
  fs.writeFileSync(path.join(dir, 'outloud.toml'), config(dir, port, oidcPort));
  const log = fs.openSync(path.join(dir, 'outloud.log'), 'w');
  const child = spawn(env('OUTLOUD_BIN'), ['--config', path.join(dir, 'outloud.toml'), 'run'], {
    stdio: ['ignore', log, log],
    env: {
      PATH: process.env.PATH,
      RUST_LOG: 'info',
      OUTLOUD_BROWSER_OIDC_SECRET: 'browser-test-secret',
      OUTLOUD_BROWSER_IMAP_PASSWORD: env('OUTLOUD_IMAP_PASSWORD'),
    },
  });
  await until('the daemon', async () => {
    try { return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok; } catch { return false; }
  });
  return child;
}

async function axe(page, name) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`), [], `axe on ${name}`);
}

// What a screen reader is given: playwright's accessibility-tree snapshot (ariaSnapshot) of
// the page. Landmarks (banner, breadcrumb navigation, search, main), one level-1 heading and
// no skipped heading level, every text field named, the skip link first and working from the
// keyboard. Returns the snapshot for page-specific checks.
async function screenReader(page, name, { search = true } = {}) {
  const tree = await page.locator('body').ariaSnapshot();
  const landmarks = ['- banner:', '- navigation "Breadcrumb":', '- main:'].concat(search ? ['- search:'] : []);
  for (const landmark of landmarks) {
    assert.ok(tree.includes(landmark), `${name}: landmark ${landmark}\n${tree}`);
  }
  const levels = [...tree.matchAll(/- '?heading ".*?" \[level=(\d)\]/g)].map((m) => Number(m[1]));
  assert.equal(levels.filter((l) => l === 1).length, 1, `${name}: one level-1 heading\n${tree}`);
  assert.equal(levels[0], 1, `${name}: the first heading is the page's\n${tree}`);
  levels.reduce((prev, l) => { assert.ok(l <= prev + 1, `${name}: heading level ${prev} then ${l}\n${tree}`); return l; });
  const unnamed = tree.split('\n').filter((l) => /- (textbox|searchbox|combobox|checkbox|button)(:|$| \[)/.test(l.trim()));
  assert.deepEqual(unnamed, [], `${name}: fields and buttons without a name`);
  const firstLink = tree.match(/- link "([^"]*)"/);
  assert.equal(firstLink && firstLink[1], 'Skip to content', `${name}: the skip link comes first`);
  // Keyboard: the first Tab reaches the skip link, Enter moves on to the main content.
  await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content', `${name}: first Tab`);
  await page.keyboard.press('Enter');
  // The fragment navigation reaches playwright's idea of the URL a moment after the key press
  // (a CI run read the old URL): wait for it, then say what was seen.
  await page.waitForURL(/#main$/, { timeout: 5000 }).catch(() => {});
  assert.match(page.url(), /#main$/, `${name}: the skip link leads to the content`);
  return tree;
}

async function shoot(browser, storage, url, name) {
  for (const [kind, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    const ctx = await browser.newContext({ viewport, storageState: storage, deviceScaleFactor: 1 });
    const page = await ctx.newPage();
    await page.goto(url);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${kind}.png`), fullPage: false });
    await ctx.close();
  }
}

async function signInWithOidc(browser, base) {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${base}/g/eng`);
  assert.match(page.url(), /\/signin\?next=/, 'an anonymous visitor is sent to sign in');
  await axe(page, 'sign-in');
  await screenReader(page, 'sign-in', { search: false });
  await page.click('text=Sign in with Corp SSO');
  await page.fill('input[name=login]', 'ann@corp.example');
  await page.fill('input[name=password]', 'any');
  await page.click('button[type=submit]');
  await page.click('button[type=submit]'); // consent: continue
  await page.waitForURL(`${base}/g/eng`);
  await page.locator('.account', { hasText: 'Ann Lee' }).waitFor(); // signed in by OIDC
  return { ctx, page };
}

async function signInByLink(browser, base) {
  const who = `bo.${RUN}@corp.example`;
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${base}/signin`);
  await page.fill('#email', who);
  await page.click('text=Mail me a sign-in link');
  await page.locator('h1', { hasText: 'Check your mail' }).waitFor({ timeout: 10000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${page.url()}\n${await page.content()}`); });
  const mails = await until('the sign-in mail', async () => {
    const m = await imapFind(IMAP, env('OUTLOUD_IMAP_USER'), env('OUTLOUD_IMAP_PASSWORD'), who);
    return m.length ? m : null;
  });
  const text = mails[0].replace(/=\r\n/g, '').replace(/=3D/g, '=');
  const link = text.match(/http:\/\/127\.0\.0\.1:\d+\/signin\/link\?token=[A-Za-z0-9_-]+/)[0];
  await page.goto(link);
  await axe(page, 'sign-in link');
  await page.click('button:text("Sign in")');
  await page.waitForURL(`${base}/`);
  await page.locator('.account', { hasText: who }).waitFor(); // signed in by emailed link
  await ctx.close();
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outloud-browser-'));
  const [port, oidcPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const idp = await startProvider(oidcPort, `${base}/signin/oidc/callback`);
  const daemon = await startDaemon(dir, port, oidcPort);
  // playwright gives every launch a fresh temporary profile.
  const browser = await chromium.launch({
    executablePath: process.env.OUTLOUD_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    step('daemon and provider up');
    // Anonymous visitors see nothing.
    for (const p of ['/', '/g/eng', '/search?q=launch']) {
      const r = await fetch(`${base}${p}`, { redirect: 'manual' });
      assert.equal(r.status, 303, p);
      assert.ok(!(await r.text()).includes('Engineering'), p);
    }
    assert.equal((await fetch(`${base}/api/v1/groups`)).status, 401);
    // The thread's first mail, from a colleague who stays on email (other@ has its own mailbox).
    const subject = 'Launch plan';
    await smtpSend(SMTP, 'other@corp.example', [GROUP], [
      'From: Otto Other <other@corp.example>', `To: ${GROUP}`, `Subject: ${subject}`,
      `Message-ID: <root.${RUN}@corp.example>`, `Date: ${new Date().toUTCString()}`, '',
      'Shall we launch on Friday? The checklist is in the wiki.', ''].join('\r\n'));
    const { ctx, page } = await signInWithOidc(browser, base);
    step('signed in by OpenID Connect');
    await signInByLink(browser, base);
    step('signed in by emailed link');
    // Read the thread. The daemon first catches up on whatever the stack's INBOX already holds
    // (a long-lived stack collects other tests' and benchmarks' mail): up to 3 minutes.
    await until('the thread on the group page', async () => {
      await page.goto(`${base}/g/eng`);
      return page.isVisible(`text=${subject}`);
    }, 900);
    await page.click('button:text("Follow")');
    await page.locator('button', { hasText: 'Following' }).waitFor();
    await axe(page, 'group');
    const groupTree = await screenReader(page, 'group');
    assert.match(groupTree, /- '?heading "Who posts here" \[level=2\]/, 'group: who posts here');
    assert.match(groupTree, /- link "Otto Other"/, 'group: a poster links to their page');
    await page.goto(`${base}/`);
    await page.locator('li.unread', { hasText: subject }).waitFor(); // home: followed, unread
    await axe(page, 'home');
    await screenReader(page, 'home');
    await page.goto(`${base}/g/eng`);
    await page.click(`text=${subject}`);
    await page.waitForURL(/\/t\/[^/?#]+$/);
    const threadUrl = page.url();
    assert.ok(await page.isVisible('text=Shall we launch on Friday?'));
    await axe(page, 'thread');
    const threadTree = await screenReader(page, 'thread');
    assert.match(threadTree, /- '?heading "Participants" \[level=2\]/, 'thread: participants');
    assert.match(threadTree, /- region "Reply"/, 'thread: the reply box is a named region');
    assert.match(threadTree, /- textbox "Your comment, mailed to the group and the people in this thread"/, 'thread: the comment box is labelled');
    await page.goto(threadUrl);
    const mailto = await page.getAttribute('text=Reply by email', 'href');
    assert.match(mailto, new RegExp(`^mailto:${GROUP},other@corp.example\\?subject=Re%3A%20Launch%20plan.*In-Reply-To=%3Croot\\.${RUN}@corp\\.example%3E`));
    const anon = await fetch(threadUrl, { redirect: 'manual' });
    assert.equal(anon.status, 303, 'an anonymous visitor does not see the thread');
    assert.ok(!(await anon.text()).includes('Friday'));
    step('read the thread');
    // Search.
    await until('the search index', async () => {
      await page.goto(`${base}/search?q=checklist`);
      return page.isVisible(`text=${subject}`);
    });
    await axe(page, 'search');
    await screenReader(page, 'search');
    step('searched');
    // Comment.
    await page.goto(threadUrl);
    await page.fill('#reply-text', 'Friday works for me.');
    await page.click('button:text("Comment")');
    await page.waitForURL(`${threadUrl}?posted=1#posted`);
    await page.locator('article', { hasText: 'Friday works for me.' }).waitFor(); // shown at once
    // Said in a live region (role=status), which screen readers announce.
    assert.match(await page.locator('body').ariaSnapshot(), /- status: Your comment is posted above/, 'the comment is confirmed in a live region');
    step('commented');
    // It reaches the colleague on email, threaded.
    const got = await until('the comment in the participant\'s mailbox', async () => {
      const m = await imapFind(IMAP, env('OUTLOUD_IMAP_OTHER_USER'), env('OUTLOUD_IMAP_OTHER_PASSWORD'), `root.${RUN}@corp.example`);
      return m.length ? m[0] : null;
    });
    assert.match(got, /^From: "Ann Lee via outloud" <outloud@corp\.example>/m);
    assert.match(got, /^Reply-To: "Ann Lee" <ann@corp\.example>/m);
    assert.match(got, new RegExp(`^In-Reply-To: <root\\.${RUN}@corp\\.example>`, 'm'));
    assert.match(got, new RegExp(`^References: <root\\.${RUN}@corp\\.example>`, 'm'));
    assert.match(got, /^Subject: Re: Launch plan/m);
    assert.match(got, /Friday works for me\./);
    step('the comment arrived by email, threaded');
    // Its copy through the group mailbox is not published twice.
    await until('the group copy in the watched mailbox', async () =>
      (await imapFind(IMAP, env('OUTLOUD_IMAP_USER'), env('OUTLOUD_IMAP_PASSWORD'), `root.${RUN}@corp.example`)).length > 1);
    const mid = got.match(/^Message-ID: <([^>]+)>/m)[1];
    await until('the daemon to have read it', async () => {
      const log = fs.readFileSync(path.join(dir, 'outloud.log'), 'utf8');
      return log.split('\n').some((l) => l.includes(mid) && l.includes('imap:') && l.includes('skipped'));
    });
    await page.goto(threadUrl);
    assert.equal(await page.locator('article', { hasText: 'Friday works for me.' }).count(), 1, 'published once');
    step('the group copy was not published twice');
    // The author's page of posts waiting out an undo window (none here).
    await page.goto(`${base}/pending`);
    assert.ok(await page.isVisible('text=nothing of yours is waiting'));
    await axe(page, 'pending');
    await screenReader(page, 'pending');
    step('pending page checked');
    // Screenshots of the main pages.
    const storage = await ctx.storageState();
    await shoot(browser, storage, `${base}/`, 'home');
    await shoot(browser, storage, `${base}/g/eng`, 'group');
    await shoot(browser, storage, threadUrl, 'thread');
    await shoot(browser, storage, `${base}/search?q=launch`, 'search');
    await shoot(browser, storage, `${base}/settings`, 'settings');
    await shoot(browser, undefined, `${base}/signin`, 'signin');
    step('screenshots saved');
  } catch (e) {
    console.error(fs.readFileSync(path.join(dir, 'outloud.log'), 'utf8').split('\n').slice(-40).join('\n'));
    throw e;
  } finally {
    await browser.close();
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    idp.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  step('passed');
}

main().catch((e) => { console.error(e); process.exit(1); });
