"""Server settings: parsed once from the client's JSON into a frozen value, with defaults.

Keys are camelCase as editors write them, under `codegenComplete` or at the top level. A bad
value keeps the default and yields a message for the user.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from codegen_complete.completion.options import DEFAULTS, INTERACTIVE, Options
from codegen_complete.completion.remote.endpoint import RemoteConfig, check_url
from codegen_complete.models.catalog import DEFAULT_MODEL

# Prose and data: a code model writes neither well, and a ghost in a README or a settings file
# is in the way. Suggested only where the user lists them in `enabledLanguages` (LSP language
# ids, and Neovim's filetype names for the same).
NOT_CODE = frozenset({
    "markdown", "plaintext", "text", "restructuredtext", "rst", "asciidoc", "org", "tex",
    "latex", "bibtex", "gitcommit", "git-commit", "json", "jsonc", "jsonl", "log", "ignore",
    "properties", "csv", "tsv",
})  # fmt: skip
# The language of a document opened without an id, by its extension (the rest: its grammar's).
_PROSE_AND_DATA_SUFFIXES = {
    ".md": "markdown", ".markdown": "markdown", ".txt": "plaintext", ".rst": "restructuredtext",
    ".json": "json", ".jsonl": "jsonl", ".log": "log", ".csv": "csv",
}  # fmt: skip


def language_id_of(path: PurePath | None) -> str:
    """An LSP language id for a document whose client named none: prose and data by their
    extension; otherwise "" (the grammar detected from the extension decides)."""
    return _PROSE_AND_DATA_SUFFIXES.get(path.suffix.lower(), "") if path is not None else ""


@dataclass(frozen=True)
class Settings:
    model: str = DEFAULT_MODEL
    models_dir: str | None = None
    threads: int | None = None
    max_lines: int = DEFAULTS.max_lines
    debounce_ms: int = 120
    context: bool = DEFAULTS.context
    retrieval: bool = DEFAULTS.retrieval
    check_names: bool = DEFAULTS.check_names
    time_limit_s: float = DEFAULTS.time_limit_s
    # LSP language ids; empty: every language but prose and data (NOT_CODE).
    enabled_languages: tuple[str, ...] = ()
    # Where the model runs: "local" (in this process) or "remote" (a serving engine).
    backend: str = "local"
    remote_url: str | None = None
    remote_model: str | None = None  # None: the first model the server lists
    remote_api_key_env: str | None = None  # the NAME of the variable holding the key
    remote_timeout_s: float = 10.0
    remote_fallback: bool = False  # answer with the local model while the server cannot

    def serves(self, language_id: str, lsp_ids: tuple[str, ...] = ()) -> bool:
        """Whether documents of this language get suggestions: those listed, or, with none
        listed, all but prose and data. `lsp_ids`: the ids of the language it was detected
        as, when its own id is an editor's name for it (Neovim's `text`, `typescriptreact`)."""
        if self.enabled_languages:
            return any(x in self.enabled_languages for x in (language_id, *lsp_ids))
        return language_id not in NOT_CODE

    def remote(self) -> RemoteConfig | None:
        """The remote backend's configuration; None for the local one. ValueError: remote
        without a URL."""
        if self.backend != "remote":
            return None
        if self.remote_url is None:
            raise ValueError("backend is 'remote' but remoteUrl is not set")
        return RemoteConfig(
            self.remote_url, self.remote_model, self.remote_api_key_env, self.remote_timeout_s
        )

    @property
    def engine_settings(self) -> tuple[object, ...]:
        """The settings that need the model loaded again when they change."""
        return (
            self.model, self.models_dir, self.threads, self.backend, self.remote_url,
            self.remote_model, self.remote_api_key_env, self.remote_timeout_s,
            self.remote_fallback,
        )  # fmt: skip

    def options(self) -> Options:
        """The per-request options these settings choose."""
        return dataclasses.replace(
            INTERACTIVE,
            max_lines=self.max_lines,
            context=self.context,
            retrieval=self.retrieval,
            check_names=self.check_names,
            time_limit_s=self.time_limit_s,
        )


BACKENDS = ("local", "remote")

# Upper bounds: a value past them is a slip (10**12 ms of debounce never answers), not a choice.
MAX_LINES, MAX_DEBOUNCE_MS, MAX_TIME_LIMIT_S, MAX_THREADS = 200, 5_000, 120, 256


def _int_between(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"an integer from {low} to {high}")
    return value


def _lines(value: Any) -> int:
    return _int_between(value, 1, MAX_LINES)


def _debounce(value: Any) -> int:
    return _int_between(value, 0, MAX_DEBOUNCE_MS)


SECONDS_SCHEMA = {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_TIME_LIMIT_S}


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a number of seconds up to {MAX_TIME_LIMIT_S}")
    if not 0 < value <= MAX_TIME_LIMIT_S:
        raise ValueError(f"a number of seconds above 0, up to {MAX_TIME_LIMIT_S}")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a non-empty string")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else _text(value)


def _optional_threads(value: Any) -> int | None:
    return None if value in (None, 0) else _int_between(value, 1, MAX_THREADS)


def _backend(value: Any) -> str:
    if value not in BACKENDS:
        raise ValueError(" or ".join(repr(b) for b in BACKENDS))
    return str(value)


def _optional_url(value: Any) -> str | None:
    return None if value in (None, "") else check_url(_text(value))


def env_name(value: Any) -> str | None:
    name = _optional_text(value)
    if name is not None and not name.replace("_", "a").isalnum():
        # Guards against the key itself pasted here: it would end up in settings files.
        raise ValueError("the name of an environment variable (letters, digits, _)")
    return name


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _languages(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("a list of language ids")
    return tuple(value)


@dataclass(frozen=True)
class Setting:
    """One client setting: the schema editors show (VS Code's package.json is checked against
    these by tests/test_settings_schema.py) and how the server reads it."""

    key: str  # camelCase, as editors write it
    field: str  # of Settings; its default is the setting's default
    validate: Callable[[Any], Any]  # the value, or ValueError
    schema: dict[str, Any]  # JSON schema of the value, without its default
    description: str
    # What an editor writes for "not set" where the server's default is None: a settings UI
    # offers an input box only for a single type (["string", "null"] gets none).
    unset: Any = None


SETTINGS = (
    Setting("model", "model", _text, {"type": "string"},
            "The installed model to use (`codegen-complete model list`)."),
    Setting("modelsDir", "models_dir", _optional_text, {"type": "string"},
            "Where models are installed. Empty: `$CODEGEN_COMPLETE_MODELS` or "
            "`~/.cache/codegen-complete/models`.", unset=""),
    Setting("threads", "threads", _optional_threads,
            {"type": "integer", "minimum": 0, "maximum": MAX_THREADS},
            "Inference threads. 0: one per core, up to 8.", unset=0),
    Setting("maxLines", "max_lines", _lines,
            {"type": "integer", "minimum": 1, "maximum": MAX_LINES},
            "The most lines a suggestion may have."),
    Setting("debounceMs", "debounce_ms", _debounce,
            {"type": "integer", "minimum": 0, "maximum": MAX_DEBOUNCE_MS},
            "Milliseconds to wait after a keystroke before asking the model (not for an "
            "explicit request)."),
    Setting("context", "context", _flag, {"type": "boolean"},
            "Put definitions from imported workspace files and similar code from open files "
            "into the prompt."),
    Setting("retrieval", "retrieval", _flag, {"type": "boolean"},
            "Also search an index of the whole workspace (kept in the user's cache folder) "
            "for code like the lines above the cursor, and show the model what followed it."),
    Setting("checkNames", "check_names", _flag, {"type": "boolean"},
            "Hold back a suggestion that uses a name defined nowhere: in Python a name or "
            "attribute that is not in the file, its imports or the builtins (a method its class "
            "lacks, a function an imported module lacks) or a keyword argument its function "
            "does not take; in JavaScript and TypeScript a function or class that the module "
            "neither declares nor imports, or a member of this that its class lacks; in Go and "
            "Rust a "
            "function called without a path, in Java a method called without a receiver, that "
            "the file, its package and the language lack."),
    Setting("timeLimit", "time_limit_s", _seconds,
            SECONDS_SCHEMA,
            "Seconds one suggestion may take before it is cut short."),
    Setting("enabledLanguages", "enabled_languages", _languages,
            {"type": "array", "items": {"type": "string"}},
            "Language ids to suggest in (e.g. `python`, `typescript`). Empty: every language "
            "but prose and data (Markdown, plain text, JSON, logs and the like), which get "
            "suggestions only where listed here."),
    Setting("backend", "backend", _backend, {"type": "string", "enum": list(BACKENDS)},
            "Where the model runs: `local` (on this machine) or `remote` (a shared vLLM or "
            "other OpenAI-compatible server at `remoteUrl`; see docs/teams.md)."),
    Setting("remoteUrl", "remote_url", _optional_url, {"type": "string"},
            "The serving engine's address, e.g. `https://gpu-box:8000` (with `backend` "
            "`remote`). Code is sent there: plain http:// to another machine gets a warning.",
            unset=""),
    Setting("remoteModel", "remote_model", _optional_text, {"type": "string"},
            "The model's name on the server. Empty: the first one it lists.", unset=""),
    Setting("remoteApiKeyEnv", "remote_api_key_env", env_name, {"type": "string"},
            "The name of the environment variable that holds the server's API key (the key "
            "itself never goes in settings). Empty: no key.", unset=""),
    Setting("remoteTimeout", "remote_timeout_s", _seconds,
            SECONDS_SCHEMA,
            "Seconds to wait for the server to connect or to send the next piece of a "
            "suggestion before calling it down."),
    Setting("remoteFallback", "remote_fallback", _flag, {"type": "boolean"},
            "While the server cannot answer, complete with the local model (`model`); it is "
            "loaded at start for this."),
)  # fmt: skip
FIELDS = {setting.key: setting for setting in SETTINGS}


def default_of(setting: Setting) -> Any:
    """The setting's default as JSON writes it."""
    value = getattr(Settings(), setting.field)
    if value is None:
        return setting.unset
    return list(value) if isinstance(value, tuple) else value


UNKNOWN_SETTING = "unknown setting"


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from the client's options; bad or unknown entries become messages."""
    settings = base or Settings()
    if isinstance(raw, dict) and "codegenComplete" in raw:
        raw = raw["codegenComplete"]
    # A Lua client (Neovim) cannot tell an empty table from an empty list: `settings = {}`
    # arrives as [] (and was one "unknown setting 'codegenComplete'" at every start).
    if raw is None or raw == []:
        return settings, []
    if not isinstance(raw, dict):
        return settings, [f"settings must be an object, got {type(raw).__name__}; using defaults"]
    changes: dict[str, Any] = {}
    errors = []
    for key, value in raw.items():
        if key not in FIELDS:
            errors.append(f"{UNKNOWN_SETTING} {key!r} ignored")
            continue
        setting = FIELDS[key]
        try:
            changes[setting.field] = setting.validate(value)
        except ValueError as error:
            errors.append(
                f"setting {key!r} must be {error} (got {value!r}); keeping "
                f"{getattr(settings, setting.field)!r}"
            )
    return dataclasses.replace(settings, **changes), errors
