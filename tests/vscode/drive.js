// Drive real VS Code (code-server) in headless Debian Chromium with playwright-core, as a user
// would, and print what happened as one JSON line for tests/test_vscode.py to check.
//
// ALSO: files to open (in tabs) before FILE.
// SCENARIO=ghost: wait until the extension's status item says the model is ready, open FILE,
//   type TYPE at the end of line LINE (with TRIGGER: then ask from the palette), wait for the
//   ghost text, screenshot, accept with Tab.
// SCENARIO=toggle: turn suggestions off from the status item's menu, type (no ghost text may
//   show), turn them on with the command palette's "Toggle suggestions", type again; then
//   read "Show log".
// SCENARIO=broken: wait for the status item to say error; collect the notifications, then
//   open "Show log" from the command palette and read it.
// SCENARIO=quiet: open FILE, type TYPE at the end of line LINE, count ghost text after 4 s.
// SCENARIO=wordlist: as ghost; once the ghost text shows, type MORE (the start of a word that
//   VS Code's word list matches); report whether the list showed and what one Tab put in.
//   With THEN_DISABLE: then turn suggestions off from the command palette.
// SCENARIO=focus: open FILE, click line LINE (no key typed), wait, then read "Show log".
// SCENARIO=settings: open the Settings UI; search each setting in KEYS, type into the input box of each
//   its input box its value in VALUES (both comma-separated); report which had an input box.
// Also: CS_URL (the workbench URL), SHOT (screenshot path), CHROMIUM (the browser).
'use strict';

const { chromium } = require('playwright-core');

const {
  CS_URL, SCENARIO, FILE, LINE, TYPE, SHOT, ALSO, MORE, KEYS, VALUES, TRIGGER, THEN_DISABLE,
} = process.env;
const GHOST = '.ghost-text-decoration, .ghost-text-decoration-preview';
const status = (state) => `[aria-label="codegen-complete: ${state}"]`;
const t0 = Date.now();
const timings = {};
const lap = (name) => { timings[name] = (Date.now() - t0) / 1000; };

/** @param {import('playwright-core').Page} page @param {number} index */
async function lineText(page, index) {
  const text = await page.locator('.view-lines .view-line').nth(index).textContent();
  return (text || '').replace(/\u00a0/g, ' ');
}

/** Open FILE (after the comma-separated ALSO files, left open in their tabs).
 * @param {import('playwright-core').Page} page */
async function openFile(page) {
  // Nothing is typed before the server is up and its model loaded.
  await page.waitForSelector(status('ready'), { timeout: 120000 });
  lap('status ready');
  for (const name of [...(ALSO ? ALSO.split(',') : []), FILE]) {
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 20000 });
    await page.keyboard.type(name);
    // The row for this name: until the filter has run, the list shows recent files.
    await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first()
      .waitFor({ state: 'visible', timeout: 20000 });
    await page.keyboard.press('Enter');
    await page.waitForSelector('.quick-input-widget', { state: 'hidden', timeout: 20000 });
    // Its tab active: the lines below are then this file's, not those of the file before it
    // (on a slow machine the keys went to the previous file).
    await page.locator('.tabs-container .tab.active', { hasText: name }).first()
      .waitFor({ state: 'visible', timeout: 20000 });
    await page.waitForTimeout(500); // the editor settling, before the next quick-open
  }
  await page.waitForSelector('.editor-instance .view-lines .view-line', { timeout: 30000 });
  lap('file open');
}

/** @param {import('playwright-core').Page} page @param {string} text */
async function pick(page, text) {
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 20000 });
  await page.keyboard.type(text);
  await page.waitForSelector('.quick-input-list .monaco-list-row', { timeout: 20000 });
  await page.keyboard.press('Enter');
}

/** Type TYPE at the end of line `index` (0-based), a key every 80 ms; with TRIGGER, then ask for
 * a suggestion there from the command palette (the line may be empty).
 * @param {import('playwright-core').Page} page @param {number} index */
async function typeAtEndOf(page, index) {
  await page.locator('.view-lines .view-line').nth(index).click();
  await page.keyboard.press('End');
  if (TYPE) await page.keyboard.type(TYPE, { delay: 80 });
  if (TRIGGER) { // as Alt+\ does (the browser may keep Alt+ keys for itself)
    await page.keyboard.press('Control+Shift+P');
    await pick(page, 'Trigger Inline Suggestion');
  }
}

/** @param {import('playwright-core').Page} page */
async function ghost(page) {
  await openFile(page);

  const index = Number(LINE) - 1;
  await typeAtEndOf(page, index);
  lap('typed');
  await page.locator(GHOST).first().waitFor({ state: 'visible', timeout: 30000 });
  lap('ghost text');
  // Ghost text is injected into the line, one span per highlighted token.
  const shown = {
    ghost: (await page.locator(GHOST).allTextContents()).join('').replace(/\u00a0/g, ' '),
    shown: await lineText(page, index),
    suggestWidget: await page.locator('.suggest-widget.visible').count() > 0,
  };
  await page.screenshot({ path: SHOT });
  await page.keyboard.press('Tab');
  await page.waitForFunction(
    (selector) => document.querySelectorAll(selector).length === 0, GHOST, { timeout: 10000 });
  lap('accepted');
  return { ...shown, line: await lineText(page, index) };
}

/** @param {import('playwright-core').Page} page */
async function toggle(page) {
  await openFile(page);
  await page.locator(status('ready')).first().click();
  await pick(page, 'Disable suggestions');
  await page.waitForSelector(status('disabled'), { timeout: 10000 });
  lap('disabled from the menu');
  const index = Number(LINE) - 1;
  await typeAtEndOf(page, index);
  await page.waitForTimeout(3000); // time enough for a suggestion, were one asked for
  const ghostWhileDisabled = await page.locator(GHOST).count();
  await page.screenshot({ path: SHOT });
  for (let i = 0; i < TYPE.length; i++) await page.keyboard.press('Backspace');

  await page.keyboard.press('Control+Shift+P');
  await pick(page, 'codegen-complete: Toggle suggestions');
  await page.waitForSelector(status('ready'), { timeout: 10000 });
  lap('enabled from the command palette');
  await typeAtEndOf(page, index);
  await page.locator(GHOST).first().waitFor({ state: 'visible', timeout: 30000 });
  lap('ghost text again');
  const ghostWhenEnabled = await page.locator(GHOST).count();
  return { ghostWhileDisabled, ghostWhenEnabled, log: await readLog(page) };
}

/** "Show log" from the command palette; its text as the Output panel shows it.
 * @param {import('playwright-core').Page} page */
async function readLog(page) {
  await page.keyboard.press('Control+Shift+P');
  await pick(page, 'codegen-complete: Show log');
  const output = page.locator('.part.panel .view-lines');
  await output.first().waitFor({ state: 'visible', timeout: 20000 });
  await page.waitForTimeout(1000);
  return (await output.first().textContent() || '').replace(/\u00a0/g, ' ');
}

/** @param {import('playwright-core').Page} page */
async function broken(page) {
  await page.waitForSelector(status('error'), { timeout: 60000 });
  lap('status error');
  await page.waitForSelector('.notification-list-item-message', { timeout: 20000 });
  await page.waitForTimeout(2000); // a crash loop would add more messages meanwhile
  await page.screenshot({ path: SHOT });
  const notifications = (await page.locator('.notification-list-item-message').allTextContents())
    .map((text) => text.replace(/\u00a0/g, ' '));
  const stillError = await page.locator(status('error')).count() > 0;
  return { notifications, stillError, log: await readLog(page) };
}

/** @param {import('playwright-core').Page} page */
async function quiet(page) {
  await openFile(page);
  await typeAtEndOf(page, Number(LINE) - 1);
  await page.waitForTimeout(4000); // time enough for a suggestion, were one asked for
  await page.screenshot({ path: SHOT });
  return { ghosts: await page.locator(GHOST).count() };
}

/** @param {import('playwright-core').Page} page */
async function wordlist(page) {
  await openFile(page);
  const index = Number(LINE) - 1;
  await typeAtEndOf(page, index);
  await page.locator(GHOST).first().waitFor({ state: 'visible', timeout: 30000 });
  lap('ghost text');
  await page.keyboard.type(MORE, { delay: 80 });
  await page.waitForTimeout(500); // the word list, were it to open beside the ghost text
  lap('typed on');
  const shown = {
    ghost: (await page.locator(GHOST).allTextContents()).join('').replace(/\u00a0/g, ' '),
    shown: await lineText(page, index),
    suggestWidget: await page.locator('.suggest-widget.visible').count() > 0,
  };
  await page.screenshot({ path: SHOT });
  await page.keyboard.press('Tab');
  await page.waitForTimeout(500);
  const line = await lineText(page, index);
  if (THEN_DISABLE) {
    await page.keyboard.press('Control+Shift+P');
    await pick(page, 'codegen-complete: Toggle suggestions');
    await page.waitForSelector(status('disabled'), { timeout: 10000 });
    await page.waitForTimeout(1000); // the extension writes the settings it changed
  }
  return { ...shown, line };
}

/** @param {import('playwright-core').Page} page */
async function settings(page) {
  await page.keyboard.press('Control+Shift+P');
  await pick(page, 'Preferences: Open Settings (UI)');
  await page.waitForSelector('.settings-editor', { timeout: 30000 });
  const search = page.locator('.settings-editor .settings-header .suggest-input-container');
  await search.waitFor({ state: 'visible', timeout: 20000 });
  const inputs = {};
  const values = VALUES.split(',');
  for (const [i, key] of KEYS.split(',').entries()) {
    // Search the setting's own key: the list is virtual, rows below the fold do not exist.
    // The edit before re-renders the editor a moment later, which can take the focus from
    // the search box mid-word: type it again until the box holds the whole key.
    for (let attempt = 0; attempt < 3; attempt++) {
      await search.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.type(key);
      await page.waitForTimeout(300);
      if ((await search.innerText()).includes(key)) break;
      lap(`search typed again: ${key}`);
    }
    const row = page.locator('.settings-editor .setting-item-contents', {
      has: page.locator(`.setting-item-title >> text=${settingTitle(key)}`),
    }).first();
    await row.waitFor({ state: 'visible', timeout: 20000 });
    lap(`found ${key}`);
    // An input box is what the Settings UI offers to edit a single-typed setting.
    const input = row.locator('input.input');
    inputs[key] = await input.count() > 0;
    if (inputs[key]) {
      await input.first().fill(values[i]);
      await input.first().press('Tab');
      // The Settings UI writes a value a moment after the edit; searching the next key
      // before then re-renders the list and the edit can be lost (seen in CI). Its row is
      // marked as configured once written.
      const configured = page.locator('.settings-editor .setting-item-contents.is-configured', {
        has: page.locator(`.setting-item-title >> text=${settingTitle(key)}`),
      });
      await configured.first().waitFor({ state: 'attached', timeout: 10000 })
        .then(() => lap(`saved ${key}`), () => lap(`not marked saved: ${key}`));
    }
  }
  await page.waitForTimeout(1500); // the Settings UI writes settings.json after a short delay
  await page.screenshot({ path: SHOT });
  return { inputs };
}

/** @param {import('playwright-core').Page} page */
async function focus(page) {
  await openFile(page);
  await page.locator('.view-lines .view-line').nth(Number(LINE) - 1).click();
  lap('clicked');
  await page.waitForTimeout(2000); // the extension waits for the cursor to rest
  const log = await readLog(page);
  await page.screenshot({ path: SHOT });
  return { log };
}

/** The title the Settings UI shows for a key: `codegenComplete.modelsDir` → "Models Dir".
 * @param {string} key */
function settingTitle(key) {
  const last = key.split('.').pop() || key;
  const words = last.replace(/([a-z])([A-Z])/g, '$1 $2');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const SCENARIOS = { ghost, toggle, broken, quiet, wordlist, settings, focus };

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  let result = { ok: false };
  try {
    await page.goto(CS_URL);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    lap('workbench');
    result = { ok: true, ...await SCENARIOS[SCENARIO](page) };
  } catch (error) {
    result.error = String(error && error.stack || error);
    await page.screenshot({ path: SHOT.replace(/\.png$/, '-failed.png') }).catch(() => {});
    // What the extension and the server logged, to tell a silent server from a hidden ghost.
    result.log = await readLog(page).catch((e) => `log unreadable: ${e}`);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ ...result, timings }));
})();
