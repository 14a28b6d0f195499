"""Server settings: parsed once from the client's JSON into a frozen value, with defaults.

Keys are camelCase as editors write them, under `codegenComplete` or at the top level. A bad
value keeps the default and yields a message for the user.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from codegen_complete.completion.options import DEFAULTS, Options
from codegen_complete.models.catalog import DEFAULT_MODEL


@dataclass(frozen=True)
class Settings:
    model: str = DEFAULT_MODEL
    models_dir: str | None = None
    threads: int | None = None
    max_lines: int = DEFAULTS.max_lines
    debounce_ms: int = 120
    context: bool = DEFAULTS.context
    time_limit_s: float = DEFAULTS.time_limit_s
    enabled_languages: tuple[str, ...] = ()  # LSP language ids; empty: every language

    def options(self) -> Options:
        """The per-request options these settings choose."""
        return dataclasses.replace(
            DEFAULTS,
            max_lines=self.max_lines,
            context=self.context,
            time_limit_s=self.time_limit_s,
        )


# camelCase key → (field, validator returning the value or raising ValueError)
def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("a positive integer")
    return value


def _non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("a non-negative integer")
    return value


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError("a positive number")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a non-empty string")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _optional_positive_int(value: Any) -> int | None:
    return None if value is None else _positive_int(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _languages(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("a list of language ids")
    return tuple(value)


FIELDS = {
    "model": ("model", _text),
    "modelsDir": ("models_dir", _optional_text),
    "threads": ("threads", _optional_positive_int),
    "maxLines": ("max_lines", _positive_int),
    "debounceMs": ("debounce_ms", _non_negative_int),
    "context": ("context", _flag),
    "timeLimit": ("time_limit_s", _positive_number),
    "enabledLanguages": ("enabled_languages", _languages),
}


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from the client's options; bad or unknown entries become messages."""
    settings = base or Settings()
    if raw is None:
        return settings, []
    if isinstance(raw, dict) and isinstance(raw.get("codegenComplete"), dict):
        raw = raw["codegenComplete"]
    if not isinstance(raw, dict):
        return settings, [f"settings must be an object, got {type(raw).__name__}; using defaults"]
    changes: dict[str, Any] = {}
    errors = []
    for key, value in raw.items():
        if key not in FIELDS:
            errors.append(f"unknown setting {key!r} ignored")
            continue
        name, validate = FIELDS[key]
        try:
            changes[name] = validate(value)
        except ValueError as error:
            errors.append(
                f"setting {key!r} must be {error} (got {value!r}); keeping "
                f"{getattr(settings, name)!r}"
            )
    return dataclasses.replace(settings, **changes), errors
