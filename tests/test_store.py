"""The model store: install through the real exporter, verification, atomic installs."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from codegen_complete.models.export import ExportError
from codegen_complete.models.install import InstallError, install_hf_folder
from codegen_complete.models.progress import Progress
from codegen_complete.models.store import (
    MANIFEST,
    ModelCorruptError,
    ModelNotInstalledError,
    installed_models,
    models_root,
    open_model,
    verify,
)


def quiet() -> Progress:
    return Progress(io.StringIO())


def copy_store(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination)
    return destination


def test_manifest_describes_the_installed_model(tiny_model) -> None:  # type: ignore[no-untyped-def]
    manifest = tiny_model.manifest
    assert manifest.family == "qwen2.5-coder"
    assert manifest.precision == "fp32"
    assert set(manifest.special_token_ids) == {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"}
    assert manifest.special_token_ids["<|fim_prefix|>"] in manifest.stop_token_ids
    for name, record in manifest.files.items():
        assert (tiny_model.path / name).stat().st_size == record.size
    assert [m.name for m in installed_models(tiny_model.path.parent)] == ["tiny-qwen"]


def test_missing_model_names_the_install_command(tmp_path: Path) -> None:
    # With the configured folder: an install into the default one would leave it empty.
    with pytest.raises(
        ModelNotInstalledError,
        match=f"codegen-complete model install nothing --models-dir {tmp_path}$",
    ):
        open_model(tmp_path, "nothing")


def test_damaged_file_is_detected(tiny_store: Path, tmp_path: Path) -> None:
    root = copy_store(tiny_store, tmp_path / "store")
    model = open_model(root, "tiny-qwen")
    data = model.file("model.onnx.data")
    blob = bytearray(data.read_bytes())
    blob[1000] ^= 0xFF
    data.write_bytes(bytes(blob))
    with pytest.raises(ModelCorruptError, match=r"model.onnx.data does not match.*--force"):
        open_model(root, "tiny-qwen")


def test_missing_file_is_detected(tiny_store: Path, tmp_path: Path) -> None:
    root = copy_store(tiny_store, tmp_path / "store")
    (root / "tiny-qwen" / "tokenizer.json").unlink()
    with pytest.raises(ModelCorruptError, match=r"missing tokenizer\.json"):
        open_model(root, "tiny-qwen")


def test_full_verification_rehashes_even_with_a_stamp(tiny_store: Path, tmp_path: Path) -> None:
    root = copy_store(tiny_store, tmp_path / "store")
    model = open_model(root, "tiny-qwen")
    stamp = model.path / ".verified"
    recorded = json.loads(stamp.read_text())
    config = model.file("genai_config.json")
    config.write_text(config.read_text().replace("model.onnx", "model.onnx "))
    # Forge the stamp so that only a full check can notice.
    recorded["genai_config.json"] = [config.stat().st_size, config.stat().st_mtime_ns]
    stamp.write_text(json.dumps(recorded))
    with pytest.raises(ModelCorruptError):
        verify(model, full=True)


def test_reinstall_is_a_no_op(tiny_hf: Path, tiny_store: Path, tmp_path: Path) -> None:
    root = copy_store(tiny_store, tmp_path / "store")
    before = (root / "tiny-qwen" / MANIFEST).stat().st_mtime_ns
    install_hf_folder(tiny_hf, root, name="tiny-qwen", precision="fp32", progress=quiet())
    assert (root / "tiny-qwen" / MANIFEST).stat().st_mtime_ns == before


def test_failed_export_leaves_no_model_behind(tiny_hf: Path, tmp_path: Path) -> None:
    broken = shutil.copytree(tiny_hf, tmp_path / "broken")
    config = json.loads((broken / "config.json").read_text())
    config["model_type"] = "no-such-architecture"
    (broken / "config.json").write_text(json.dumps(config))
    root = tmp_path / "store"
    with pytest.raises(ExportError, match="builder failed"):
        install_hf_folder(broken, root, name="broken", precision="fp32", progress=quiet())
    assert [p.name for p in root.iterdir() if not p.name.endswith(".lock")] == []
    with pytest.raises(ModelNotInstalledError):
        open_model(root, "broken")


def test_not_a_model_folder(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match="not a Hugging Face model folder"):
        install_hf_folder(tmp_path, tmp_path / "store", progress=quiet())


def test_models_root_override_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CODEGEN_COMPLETE_MODELS", str(tmp_path / "env"))
    assert models_root() == tmp_path / "env"
    assert models_root(tmp_path / "flag") == tmp_path / "flag"
    monkeypatch.delenv("CODEGEN_COMPLETE_MODELS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert models_root() == tmp_path / "cache" / "codegen-complete" / "models"
