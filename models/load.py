"""Open an installed model and load it for completing: the one way every entry point does."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.completion.completer import Completer, ModelFiles, ModelLoadError
from codegen_complete.completion.remote.endpoint import RemoteConfig
from codegen_complete.models.catalog import KNOWN_MODELS
from codegen_complete.models.store import (
    InstalledModel,
    ModelCorruptError,
    install_hint,
    models_root,
    open_model,
)


def model_files(model: InstalledModel) -> ModelFiles:
    manifest = model.manifest
    known = KNOWN_MODELS.get(manifest.name)  # None: a model installed from a local folder
    return ModelFiles(
        name=manifest.name,
        path=model.path,
        family=manifest.family,
        precision=manifest.precision,
        special_token_ids=manifest.special_token_ids,
        stop_token_ids=tuple(manifest.stop_token_ids),
        min_line_probability=known.min_line_probability if known else None,
    )


def load_model(
    model: InstalledModel,
    threads: int | None = None,
    remote: RemoteConfig | None = None,
    fallback: bool = False,
) -> Completer:
    """A completer for a verified model (with `remote`, its tokenizer builds the prompts that
    the server continues); a model that does not load is reported as corrupt, with the
    command that reinstalls it."""
    try:
        return Completer(model_files(model), threads, remote, fallback)
    except ModelLoadError as error:
        raise ModelCorruptError(
            f"model {model.name!r} cannot be loaded ({error}); reinstall it with: "
            f"{install_hint(model.name, model.path.parent)} --force"
        ) from error


def load(
    models_dir: Path | None,
    name: str,
    threads: int | None = None,
    remote: RemoteConfig | None = None,
    fallback: bool = False,
) -> Completer:
    """Open `name` in the store (default location unless `models_dir`), verify and load it."""
    return load_model(open_model(models_root(models_dir), name), threads, remote, fallback)
