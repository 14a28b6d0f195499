"""The on-disk model store: one folder per installed model, described by `manifest.json`.

A folder is complete only once it has its manifest: installs build in a staging folder and
rename it into place, so an interrupted install never leaves a model that later loads.
File hashes are checked in full after install and whenever a file's size or modification
time differs from the last full check (recorded in `.verified`), so a normal load costs a few
`stat` calls and a damaged or replaced file is still caught.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
# The GGUF a known model was exported from, kept only on request (`model install --keep-source`).
SOURCE_GGUF = "source.gguf"
VERIFIED_STAMP = ".verified"
MODELS_ENV = "CODEGEN_COMPLETE_MODELS"
MANIFEST_VERSION = 1


class ModelError(RuntimeError):
    """A model is missing, incomplete or damaged; the message says how to fix it."""


class ModelNotInstalledError(ModelError):
    pass


class ModelCorruptError(ModelError):
    pass


@dataclass(frozen=True)
class FileRecord:
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    name: str
    family: str
    precision: str
    # Prompt template parts that are special tokens, resolved to ids at install time.
    special_token_ids: dict[str, int]
    stop_token_ids: list[int]
    files: dict[str, FileRecord]
    source: dict[str, Any] = field(default_factory=dict)
    exporter: dict[str, str] = field(default_factory=dict)
    version: int = MANIFEST_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["files"] = {name: FileRecord(**record) for name, record in data["files"].items()}
        return cls(**data)


def models_root(override: Path | None = None) -> Path:
    """Where models live: a flag, else $CODEGEN_COMPLETE_MODELS, else the user cache dir."""
    if override is not None:
        return override
    if env := os.environ.get(MODELS_ENV):
        return Path(env)
    return cache_home() / "models"


def cache_home() -> Path:
    """This tool's folder in the user cache: $XDG_CACHE_HOME (or ~/.cache)/codegen-complete."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "codegen-complete"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def record_files(folder: Path, names: list[str]) -> dict[str, FileRecord]:
    return {
        name: FileRecord(size=(folder / name).stat().st_size, sha256=sha256_of(folder / name))
        for name in names
    }


@dataclass(frozen=True)
class InstalledModel:
    path: Path
    manifest: Manifest

    @property
    def name(self) -> str:
        return self.manifest.name

    def file(self, name: str) -> Path:
        return self.path / name


def installed_models(root: Path) -> list[InstalledModel]:
    """Every complete model under `root` (staging folders and strays are skipped)."""
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not (folder / MANIFEST).is_file():
            continue
        try:
            found.append(
                InstalledModel(folder, Manifest.from_json((folder / MANIFEST).read_text()))
            )
        except (ValueError, TypeError, KeyError):
            continue
    return found


def install_hint(name: str, root: Path | None = None) -> str:
    """The command that installs `name` into `root` (the folder the user configured: an
    install into the default one would leave it empty)."""
    folder = "" if root is None or root == models_root() else f" --models-dir {root}"
    return f"codegen-complete model install {name}{folder}"


def open_model(root: Path, name: str) -> InstalledModel:
    """The installed model `name`, verified; raises ModelError with the command that fixes it."""
    folder = root / name
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ModelNotInstalledError(
            f"model {name!r} is not installed in {root}; install it with: "
            f"{install_hint(name, root)}"
        )
    try:
        manifest = Manifest.from_json(manifest_path.read_text())
    except (ValueError, TypeError, KeyError) as error:
        raise ModelCorruptError(
            f"model {name!r} has an unreadable manifest ({error}); reinstall it with: "
            f"{install_hint(name, root)} --force"
        ) from error
    model = InstalledModel(folder, manifest)
    verify(model)
    return model


def _stat_key(path: Path) -> list[int]:
    status = path.stat()
    return [status.st_size, status.st_mtime_ns]


def verify(model: InstalledModel, full: bool = False) -> None:
    """Check every file against the manifest; hash only what changed since the last check."""
    stamp_path = model.path / VERIFIED_STAMP
    try:
        stamp = json.loads(stamp_path.read_text()) if not full else {}
    except (OSError, ValueError):
        stamp = {}
    fresh_stamp = {}
    for name, record in model.manifest.files.items():
        path = model.file(name)
        if not path.is_file():
            raise ModelCorruptError(
                f"model {model.name!r} is missing {name}; reinstall it with: "
                f"{install_hint(model.name, model.path.parent)} --force"
            )
        key = _stat_key(path)
        if stamp.get(name) != key and (key[0] != record.size or sha256_of(path) != record.sha256):
            raise ModelCorruptError(
                f"model {model.name!r} is corrupt: {name} does not match its recorded hash; "
                f"reinstall it with: {install_hint(model.name, model.path.parent)} --force"
            )
        fresh_stamp[name] = key
    if fresh_stamp != stamp:
        # A read-only store is fine: it is just re-hashed next time.
        with contextlib.suppress(OSError):
            stamp_path.write_text(json.dumps(fresh_stamp))
