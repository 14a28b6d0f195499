// @ts-check
// codegen-complete for VS Code: starts `codegen-complete serve` and lets vscode-languageclient 11
// show its textDocument/inlineCompletion answers as ghost text. Everything else is the server's
// job; this file starts and restarts it, passes settings on, and keeps a status bar item.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vscode = require('vscode');
const {
  DidChangeConfigurationNotification,
  LanguageClient,
  State,
} = require('vscode-languageclient/node');

const SECTION = 'codegenComplete';
const NAME = 'codegen-complete';
// The settings the server reads (server/settings.py); `enable` and `server.*` are ours.
const SERVER_KEYS = [
  'model', 'modelsDir', 'threads', 'maxLines', 'debounceMs', 'context', 'retrieval',
  'checkNames', 'timeLimit', 'enabledLanguages', 'backend', 'remoteUrl', 'remoteModel',
  'remoteApiKeyEnv', 'remoteTimeout', 'remoteFallback',
];

/** @typedef {'starting' | 'loading' | 'ready' | 'error' | 'stopped'} ServerState */

/** The status bar item: what the server is doing, and the way to the menu. */
class StatusItem {
  constructor() {
    this.item = vscode.window.createStatusBarItem(
      `${SECTION}.status`, vscode.StatusBarAlignment.Right, 100);
    this.item.name = NAME;
    this.item.command = `${SECTION}.menu`;
    /** @type {ServerState} */
    this.state = 'starting';
    this.detail = '';
    this.pending = 0; // requests in flight: the icon spins while the model works
    this.render();
    this.item.show();
  }

  /** @param {ServerState} state @param {string} [detail] */
  set(state, detail = '') {
    this.state = state;
    this.detail = detail;
    this.render();
  }

  /** @param {number} delta */
  working(delta) {
    this.pending = Math.max(0, this.pending + delta);
    this.render();
  }

  /** What the item says: the server's state, or "disabled" when suggestions are off. */
  shown() { return this.state === 'ready' && !isEnabled() ? 'disabled' : this.state; }

  render() {
    const busy = this.state === 'starting' || this.state === 'loading' || this.pending > 0;
    const icon = this.state === 'error' || this.state === 'stopped' ? '$(error)'
      : busy ? '$(loading~spin)'
        : isEnabled() ? '$(sparkle)' : '$(circle-slash)';
    const shown = this.shown();
    this.item.text = `${icon} ${NAME}`;
    this.item.tooltip = `${NAME}: ${shown}${this.detail ? ` — ${this.detail}` : ''}\nClick for the menu`;
    this.item.accessibilityInformation = { label: `${NAME}: ${shown}` };
    this.item.backgroundColor = this.state === 'error' || this.state === 'stopped'
      ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose() { this.item.dispose(); }
}

// The cursor rests this long on a line before the server hears of it (see reportFocus).
const FOCUS_DELAY_MS = 150;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let focusTimer;
let lastFocus = '';

/**
 * Tell the server where the user is (an editor focused, the cursor moved to another line),
 * so that it warms that place's prompt before the first key: on a laptop CPU the prompt of a
 * new place takes seconds to read, and the first suggestion there would come from a small one.
 * @param {vscode.TextEditor | undefined} editor
 */
function reportFocus(editor) {
  clearTimeout(focusTimer);
  if (!editor || !client?.isRunning() || !isEnabled() || !servesDocument(editor.document)) {
    return;
  }
  focusTimer = setTimeout(() => {
    const running = client;
    if (!running?.isRunning()) return;
    const position = editor.selection.active;
    const uri = running.code2ProtocolConverter.asUri(editor.document.uri);
    const key = `${uri}:${position.line}`;
    if (key === lastFocus) return;
    lastFocus = key;
    running.sendNotification('codegenComplete/didFocus', {
      textDocument: { uri },
      position: { line: position.line, character: position.character },
    }).catch((error) => log.warn(`didFocus: ${error}`));
  }, FOCUS_DELAY_MS);
}

function config() { return vscode.workspace.getConfiguration(SECTION); }

function isEnabled() { return config().get('enable', true); }

// Prose and data, not code: no ghost text there (settings.json above all, READMEs) unless the
// user lists the language in `enabledLanguages`. The server's rule too (server/settings.py);
// checked here as well so that no request is sent for them.
const NOT_CODE = new Set([
  'markdown', 'plaintext', 'restructuredtext', 'asciidoc', 'latex', 'bibtex', 'git-commit',
  'json', 'jsonc', 'jsonl', 'log', 'ignore', 'properties', 'csv', 'tsv',
]);

/** @param {vscode.TextDocument} document */
function servesDocument(document) {
  /** @type {string[]} */
  const listed = config().get('enabledLanguages') || [];
  return listed.length ? listed.includes(document.languageId) : !NOT_CODE.has(document.languageId);
}

/** The server's settings, all of them: a cleared field goes back to its default. */
function serverSettings() {
  const section = config();
  /** @type {Record<string, unknown>} */
  const settings = {};
  for (const key of SERVER_KEYS) {
    const value = section.get(key);
    settings[key] = value === '' || value === undefined
      ? section.inspect(key)?.defaultValue ?? null : value;
  }
  return settings;
}

/** @type {LanguageClient | undefined} */
let client;
/** @type {StatusItem} */
let status;
/** @type {vscode.LogOutputChannel} */
let log;
/** @type {vscode.ExtensionContext} */
let extensionContext;
let stopping = false;

/**
 * The channel as the language client writes to it, with the server's `Log` messages (a line
 * per request and per cursor move, which the client appends as they are) at the Debug level:
 * "Show log" holds them when its level is Debug, and only what matters by default.
 * @param {vscode.LogOutputChannel} channel
 * @returns {vscode.LogOutputChannel}
 */
function detailsAtDebug(channel) {
  return new Proxy(channel, {
    get(target, property) {
      if (property === 'appendLine') return (/** @type {string} */ line) => target.debug(line);
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** @returns {import('vscode-languageclient/node').LanguageClientOptions} */
function clientOptions() {
  return {
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    initializationOptions: serverSettings(),
    outputChannel: detailsAtDebug(log),
    middleware: {
      provideInlineCompletionItems: async (document, position, context, token, next) => {
        if (!isEnabled() || !servesDocument(document)) return null;
        status.working(+1);
        try {
          return await next(document, position, context, token);
        } finally {
          status.working(-1);
        }
      },
      // VS Code shows the suggestion as ghost text; the server's completion item (the fallback
      // for clients without inline completion) would only repeat it in the suggest widget.
      provideCompletionItem: () => null,
    },
  };
}

/**
 * The executable `command` names: a path (`~/` allowed) or a name looked up on PATH.
 * @param {string} command
 * @returns {string | undefined}
 */
function findExecutable(command) {
  const expanded = command.startsWith('~/') ? path.join(os.homedir(), command.slice(2)) : command;
  const suffixes = process.platform === 'win32'
    ? ['', ...(process.env.PATHEXT || '.EXE;.CMD;.BAT').split(';')] : [''];
  const bases = expanded.includes('/') || expanded.includes(path.sep) ? [expanded]
    : (process.env.PATH || '').split(path.delimiter).filter(Boolean)
      .map((dir) => path.join(dir, expanded));
  for (const base of bases) {
    for (const file of suffixes.map((suffix) => base + suffix)) {
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return file;
      } catch {
        // not this one
      }
    }
  }
  return undefined;
}

/** @param {string} command */
function reportMissingServer(command) {
  status.set('error', `"${command}" not found`);
  log.error(`"${command}" is not an executable file, nor a program on PATH: install the ` +
    'server or set "codegenComplete.server.path" to the full path of codegen-complete');
  // Not awaited: activation must not wait for the user to answer.
  void vscode.window.showErrorMessage(
    `${NAME}: the server "${command}" was not found. Install it (see the extension's README) ` +
    'or set "codegenComplete.server.path" to the full path of codegen-complete.',
    'Open Settings', 'Show Log',
  ).then(async (choice) => {
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand(
        'workbench.action.openSettings', 'codegenComplete.server.path');
    } else if (choice === 'Show Log') {
      log.show();
    }
  });
}

async function start() {
  const command = config().get('server.path') || NAME;
  const executable = findExecutable(command);
  if (!executable) {
    // Checked here so that the user gets this one message naming the setting, rather than
    // vscode-languageclient's "couldn't create connection to server" (spawn ENOENT).
    reportMissingServer(command);
    return;
  }
  status.set('starting', `${executable} serve`);
  const created = new LanguageClient(
    SECTION, NAME, { command: executable, args: ['serve'] }, clientOptions());
  created.onNotification('codegenComplete/status',
    (/** @type {{state: ServerState, message?: string}} */ params) => {
      status.set(params.state, params.message);
      // "Show log" must hold what the status item says went wrong.
      if (params.state === 'error') log.error(`server: ${params.message}`);
      else log.info(`server ${params.state}${params.message ? `: ${params.message}` : ''}`);
      if (params.state === 'ready') { // the model is there: warm where the user is
        lastFocus = '';
        reportFocus(vscode.window.activeTextEditor);
      }
    });
  created.onDidChangeState((event) => {
    if (event.newState === State.Stopped && !stopping && status.state !== 'error') {
      status.set('stopped', 'the server stopped');
    }
  });
  client = created;
  try {
    await created.start();
  } catch (error) {
    // vscode-languageclient has shown its own message, with a way to the log.
    status.set('error', `could not start "${executable} serve"`);
    log.error(`could not start "${executable} serve": ${error}`);
  }
}

async function stop() {
  const running = client;
  client = undefined;
  if (!running) return;
  stopping = true;
  try {
    await running.dispose(); // stops it if it runs, and unregisters its providers
  } catch (error) {
    log.warn(`stopping the server: ${error}`);
  } finally {
    stopping = false;
  }
}

async function restart() {
  await stop();
  await start();
}

/** @param {vscode.ConfigurationChangeEvent} event */
async function onConfigurationChanged(event) {
  if (!event.affectsConfiguration(SECTION)) return;
  if (event.affectsConfiguration(`${SECTION}.server`)) {
    await restart();
    return;
  }
  status.render();
  if (event.affectsConfiguration(`${SECTION}.wordList`)
    || event.affectsConfiguration(`${SECTION}.enable`)) {
    await applyWordList();
  }
  const serverChanged = SERVER_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
  if (serverChanged && client?.isRunning()) {
    await client.sendNotification(DidChangeConfigurationNotification.type,
      { settings: { [SECTION]: serverSettings() } });
  }
}

// `wordList: onRequest` turns VS Code's word list off while typing (it opens on Ctrl+Space), as
// a user would in their settings: VS Code hides ghost text that disagrees with the list's word,
// and since 1.100 it ignores `editor.inlineSuggest.suppressSuggestions` for every extension.
const QUIET_WORD_LIST = { other: 'off', comments: 'off', strings: 'off' };
const SAVED_WORD_LIST = 'wordList.savedQuickSuggestions';

/** Put `editor.quickSuggestions` (user settings) in line with `wordList` and `enable`; what the
 * user had is kept in the extension's state and put back when the list is wanted again. */
async function applyWordList() {
  const editor = vscode.workspace.getConfiguration('editor');
  const current = editor.inspect('quickSuggestions')?.globalValue;
  /** @type {{value: unknown} | undefined} */
  const saved = extensionContext.globalState.get(SAVED_WORD_LIST);
  const quiet = isEnabled() && config().get('wordList') === 'onRequest';
  if (quiet && saved === undefined) {
    await extensionContext.globalState.update(SAVED_WORD_LIST, { value: current ?? null });
    await editor.update('quickSuggestions', QUIET_WORD_LIST, vscode.ConfigurationTarget.Global);
    log.info('word list: only on request (editor.quickSuggestions off in the user settings)');
  } else if (!quiet && saved !== undefined) {
    // Only our own value is put back: one the user wrote since then is theirs to keep.
    if (JSON.stringify(current) === JSON.stringify(QUIET_WORD_LIST)) {
      await editor.update('quickSuggestions', saved.value ?? undefined,
        vscode.ConfigurationTarget.Global);
    }
    await extensionContext.globalState.update(SAVED_WORD_LIST, undefined);
    log.info('word list: while typing (editor.quickSuggestions as it was)');
  }
}

async function toggle() {
  await config().update('enable', !isEnabled(), vscode.ConfigurationTarget.Global);
}

async function menu() {
  const items = [
    { label: isEnabled() ? '$(circle-slash) Disable suggestions' : '$(sparkle) Enable suggestions',
      run: toggle },
    { label: '$(debug-restart) Restart server', run: restart },
    { label: '$(output) Show log', run: async () => log.show() },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `${NAME}: ${status.shown()}`,
  });
  if (picked) await picked.run();
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  extensionContext = context;
  log = vscode.window.createOutputChannel(NAME, { log: true });
  status = new StatusItem();
  context.subscriptions.push(
    log,
    status,
    vscode.commands.registerCommand(`${SECTION}.toggle`, toggle),
    vscode.commands.registerCommand(`${SECTION}.restart`, restart),
    vscode.commands.registerCommand(`${SECTION}.showLog`, () => log.show()),
    vscode.commands.registerCommand(`${SECTION}.menu`, menu),
    vscode.workspace.onDidChangeConfiguration(onConfigurationChanged),
    vscode.window.onDidChangeActiveTextEditor(reportFocus),
    vscode.window.onDidChangeTextEditorSelection((event) => reportFocus(event.textEditor)),
  );
  await applyWordList();
  await start();
}

function deactivate() { return stop(); }

module.exports = { activate, deactivate };
