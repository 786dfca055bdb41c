// The digest mail in a real browser (issue 11, content): builds a small network from an mbox
// (two groups, a week of discussion), renders one person's digest with `outloud digest preview
// --html`, opens its HTML part in headless chromium at a desktop mail client's width and a
// phone's, in light and dark mode, runs axe-core on it and saves the screenshots to
// docs/screenshots/digest-*.png. Needs only OUTLOUD_BIN (no mail stack, no daemon): run by
// scripts/browser-test.sh after run.mjs, or alone: OUTLOUD_BIN=target/debug/outloud node
// tests/browser/digest.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const SHOTS = path.join(ROOT, 'docs/screenshots');
const BIN = process.env.OUTLOUD_BIN;
if (!BIN) throw new Error('OUTLOUD_BIN is not set');
const HOUR = 3600 * 1000;
const now = Date.now();

const CONFIG = (dir) => `[database]
url = "sqlite:${dir}/outloud.db"
[identity]
addresses = ["outloud@corp.example"]
[smtp]
host = "127.0.0.1"
port = 25
tls = "none"
auth = "none"
from = "outloud@corp.example"
[[groups]]
slug = "eng"
name = "Engineering"
addresses = ["eng@corp.example"]
[[groups]]
slug = "ops"
name = "Operations"
addresses = ["ops@corp.example"]
[digest]
base_url = "https://outloud.corp.example"
site_name = "Corp outloud"
operator = "IT (it@corp.example)"
time_zone = "Europe/Berlin"
audiences = ["eng:*@corp.example", "ops:*@corp.example"]
`;

// [from, to, cc, subject, hours ago, id, parent id, body]
const MAILS = [
  ['Ana Lima <ana@corp.example>', 'eng@corp.example', 'carl@corp.example', 'CI runners moved to the new cluster', 100, 'ci1', null,
    'Hi all,\n\nWe moved the CI build to the new runners this week. A full build takes 4 minutes now instead of 11, and the ARM jobs run on real hardware.\n\nPlease rebase open branches before Friday so they pick up the new pipeline file.\n\nThanks,\nAna\n-- \nAna Lima | Build & Release\n'],
  ['Bo Chen <bo@corp.example>', 'eng@corp.example', '', 'Re: CI runners moved to the new cluster', 90, 'ci2', 'ci1',
    'Great news. The flaky ARM test is gone too, three green runs in a row.\n\nOn Mon, Ana Lima wrote:\n> We moved the CI build to the new runners\n'],
  ['Dana Roy <dana@corp.example>', 'eng@corp.example', '', 'Re: CI runners moved to the new cluster', 80, 'ci3', 'ci2',
    'Does the release branch use them as well, or only main?\n'],
  ['Erik Berg <erik@corp.example>', 'eng@corp.example', '', 'Postgres 17 upgrade window', 70, 'pg1', null,
    'We plan to upgrade the main database to PostgreSQL 17 on Saturday between 06:00 and 08:00. Writes pause for about ten minutes; reads stay up.\n\nIf your team has a job running at that time, tell me by Thursday.\n'],
  ['Femi Ade <femi@corp.example>', 'eng@corp.example', '', 'Re: Postgres 17 upgrade window', 60, 'pg2', 'pg1',
    'The nightly export runs at 05:30 and usually ends by 06:10. Could we start at 06:30?\n'],
  ['Gus Holm <gus@corp.example>', 'ops@corp.example', '', 'New on-call rota from January', 50, 'oc1', null,
    'Hello everyone,\n\nFrom January the on-call rota changes to one week per person, handover on Tuesdays at 10:00, so nobody starts on-call right after a weekend.\n\nThe calendar invites go out on Friday. Swaps are fine, just update the sheet.\n'],
  ['Hana Ito <hana@corp.example>', 'ops@corp.example', '', 'Re: New on-call rota from January', 40, 'oc2', 'oc1',
    'Tuesday handovers work much better for us. Thanks for sorting it out.\n'],
  ['Ivo Kral <ivo@corp.example>', 'ops@corp.example', '', 'Office VPN certificate renewal', 30, 'vpn1', null,
    'The VPN certificate expires on the 15th. The new profile is on the intranet page; install it any time before then, the old one keeps working until the switch.\n'],
];

function mbox() {
  return MAILS.map(([from, to, cc, subject, hoursAgo, id, parent, body]) => {
    const date = new Date(now - hoursAgo * HOUR);
    const addr = from.match(/<(.*)>/)[1];
    const headers = [
      `From: ${from}`, `To: ${to}`, ...(cc ? [`Cc: ${cc}`] : []), `Subject: ${subject}`,
      `Date: ${date.toUTCString().replace('GMT', '+0000')}`, `Message-ID: <${id}@corp.example>`,
      ...(parent ? [`In-Reply-To: <${parent}@corp.example>`, `References: <${parent}@corp.example>`] : []),
      'MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8',
    ];
    const text = body.split('\n').map((l) => (/^>*From /.test(l) ? `>${l}` : l)).join('\n');
    return `From ${addr} ${date.toUTCString()}\n${headers.join('\n')}\n\n${text}\n`;
  }).join('\n');
}

async function axe(page, name) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`), [], `axe on ${name}`);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outloud-digest-'));
  const cfg = path.join(dir, 'outloud.toml');
  fs.writeFileSync(cfg, CONFIG(dir));
  fs.writeFileSync(path.join(dir, 'week.mbox'), mbox());
  // The file says everything: no OUTLOUD_* variable of the test run may override it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OUTLOUD_')));
  const run = (...args) => execFileSync(BIN, ['--config', cfg, ...args], { encoding: 'utf8', env });
  run('import', path.join(dir, 'week.mbox'));
  const html = path.join(dir, 'digest.html');
  // Carl was cc'd by Ana and never posted: a non-user in both groups' audience (*@corp.example).
  const preview = run('digest', 'preview', '--to', 'carl@corp.example', '--html', html);
  assert.match(preview, /CI runners moved/, preview);
  const browser = await chromium.launch({
    executablePath: process.env.OUTLOUD_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    fs.mkdirSync(SHOTS, { recursive: true });
    const views = [['desktop', { width: 900, height: 1200 }, 'light'], ['phone', { width: 390, height: 844 }, 'light'],
      ['phone-dark', { width: 390, height: 844 }, 'dark']];
    for (const [kind, viewport, colorScheme] of views) {
      const ctx = await browser.newContext({ viewport, colorScheme, deviceScaleFactor: 1 });
      const page = await ctx.newPage();
      await page.goto(`file://${html}`);
      assert.ok(await page.isVisible('text=CI runners moved to the new cluster'), kind);
      assert.ok(await page.isVisible('text=Unsubscribe'), kind);
      // Nothing wider than the screen: the column shrinks on a phone.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${kind}: ${overflow}px wider than the screen`);
      await page.screenshot({ path: path.join(SHOTS, `digest-${kind}.png`), fullPage: kind !== 'phone-dark' });
      await axe(page, `digest ${kind}`);
      await ctx.close();
    }
    console.log('browser-test: digest rendered, axe clean, screenshots saved');
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
