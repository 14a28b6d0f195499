"""Shared fixtures: a tiny real ONNX model for unit tests, the default model for integration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codegen_complete.models.catalog import DEFAULT_MODEL
from codegen_complete.models.store import (
    InstalledModel,
    ModelError,
    models_root,
    open_model,
)
from tests.tinymodel import build_hf_folder

TINY = "tiny-qwen"


@pytest.fixture(scope="session", autouse=True)
def workspace_indexes_apart(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The servers and commands that tests start index their workspaces here, not in the
    user's cache (the variable reaches the subprocesses too)."""
    os.environ["CODEGEN_COMPLETE_INDEX"] = str(tmp_path_factory.mktemp("indexes"))


@pytest.fixture(scope="session")
def tiny_hf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hf_folder(tmp_path_factory.mktemp("tiny-hf") / "tiny")


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory, tiny_hf: Path) -> Path:
    """A model store holding the tiny model, exported to ONNX through the real installer."""
    from codegen_complete.models.install import install_hf_folder
    from codegen_complete.models.progress import Progress

    root = tmp_path_factory.mktemp("store")
    with Path(os.devnull).open("w") as quiet:
        install_hf_folder(tiny_hf, root, name=TINY, precision="fp32", progress=Progress(quiet))
    return root


@pytest.fixture(scope="session")
def tiny_model(tiny_store: Path) -> InstalledModel:
    return open_model(tiny_store, TINY)


@pytest.fixture(scope="session")
def default_model() -> InstalledModel:
    """The real default model; CI requires it, a developer without it skips these tests."""
    try:
        return open_model(models_root(), DEFAULT_MODEL)
    except ModelError as error:
        if os.environ.get("CODEGEN_COMPLETE_REQUIRE_MODEL"):
            pytest.fail(str(error))
        pytest.skip(str(error))
