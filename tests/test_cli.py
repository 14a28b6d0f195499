"""`codegen-complete FILE:LINE[:COL]`: output, JSON, and exit status 2 for every bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen_complete.server.cli import main

SOURCE = "def add(a, b):\n    return a + b\n\n\nprint(add(1, 2))\n"


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    path = tmp_path / "example.py"
    path.write_text(SOURCE)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tiny_flags(store: Path) -> list[str]:
    return ["--model", "tiny-qwen", "--models-dir", str(store), "--max-tokens", "4"]


def test_prints_the_completion(
    capsys: pytest.CaptureFixture[str], source: Path, tiny_store: Path
) -> None:
    code, out, err = run(capsys, f"{source}:2", *tiny_flags(tiny_store))
    assert code == 0, err
    assert out.endswith("\n")
    assert "\n" not in out.removeprefix("\n").rstrip("\n")  # one line of code


def test_json_report(capsys: pytest.CaptureFixture[str], source: Path, tiny_store: Path) -> None:
    code, out, _ = run(capsys, f"{source}:2:5", "--json", *tiny_flags(tiny_store))
    assert code == 0
    report = json.loads(out)
    assert (report["line"], report["column"]) == (2, 5)
    assert report["model"] == "tiny-qwen"
    assert report["file"] == "example.py"
    assert report["tokens"]["prompt"] > 0
    assert 0 <= report["tokens"]["generated"] <= 4
    assert set(report["timings_ms"]) == {"load", "context", "prefill", "decode", "total"}
    assert isinstance(report["text"], str)
    assert report["threads"] >= 1


def test_empty_file_still_completes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, tiny_store: Path
) -> None:
    empty = tmp_path / "empty.py"
    empty.write_text("")
    code, _, err = run(capsys, f"{empty}:1", *tiny_flags(tiny_store))
    assert code == 0, err


def expect_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("codegen-complete: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    expect_bad_input(capsys, [f"{tmp_path}/nope.py:1"], "no such file")


def test_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    expect_bad_input(capsys, [f"{tmp_path}:1"], "is a directory")


def test_a_pipe_is_refused_rather_than_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "input.py"
    os.mkfifo(fifo)
    script = Path(sys.executable).with_name("codegen-complete")
    # In a process of its own: reading the pipe would wait for a writer forever.
    result = subprocess.run(
        [str(script), f"{fifo}:1"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 2 and "not a regular file" in result.stderr


def test_a_symlink_loop_as_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "a.py").symlink_to(tmp_path / "b.py")
    (tmp_path / "b.py").symlink_to(tmp_path / "a.py")
    expect_bad_input(capsys, [f"{tmp_path / 'a.py'}:1"], "cannot be read")


def test_a_symlink_loop_elsewhere_in_the_workspace_is_left_out(
    capsys: pytest.CaptureFixture[str], source: Path, tiny_store: Path
) -> None:
    (source.parent / ".git").mkdir()
    (source.parent / "a.py").symlink_to(source.parent / "b.py")
    (source.parent / "b.py").symlink_to(source.parent / "a.py")
    (source.parent / "loop").symlink_to(source.parent / "loop")
    code, _, err = run(capsys, f"{source}:2", *tiny_flags(tiny_store))
    assert code == 0, err


def test_line_out_of_range(capsys: pytest.CaptureFixture[str], source: Path) -> None:
    expect_bad_input(capsys, [f"{source}:99"], "line 99 is past the end")


def test_column_out_of_range(capsys: pytest.CaptureFixture[str], source: Path) -> None:
    expect_bad_input(capsys, [f"{source}:1:40"], "column 40 is past the end of line 1")


def test_malformed_location(capsys: pytest.CaptureFixture[str], source: Path) -> None:
    expect_bad_input(capsys, [str(source)], "is not a location")


def test_binary_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    binary = tmp_path / "image.py"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    expect_bad_input(capsys, [f"{binary}:1"], "binary")


def test_non_utf8_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes("name = 'café'\n".encode("latin-1"))
    expect_bad_input(capsys, [f"{latin}:1"], "not UTF-8")


def test_huge_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    huge = tmp_path / "huge.py"
    huge.write_text("x = 1\n" * 2_000_000)
    expect_bad_input(capsys, [f"{huge}:1"], "too large")


def test_model_not_installed(
    capsys: pytest.CaptureFixture[str], source: Path, tmp_path: Path
) -> None:
    expect_bad_input(
        capsys,
        [f"{source}:1", "--models-dir", str(tmp_path / "empty")],
        "install it with: codegen-complete model install qwen2.5-coder-0.5b",
    )


def test_corrupt_model(
    capsys: pytest.CaptureFixture[str], source: Path, tiny_store: Path, tmp_path: Path
) -> None:
    store = shutil.copytree(tiny_store, tmp_path / "store")
    data = store / "tiny-qwen" / "model.onnx.data"
    data.write_bytes(data.read_bytes()[:-100] + bytes(100))
    expect_bad_input(capsys, [f"{source}:1", *tiny_flags(store)], "is corrupt")


def test_bad_flag_values(capsys: pytest.CaptureFixture[str], source: Path) -> None:
    expect_bad_input(capsys, [f"{source}:1", "--max-tokens", "0"], "--max-tokens must be")
    expect_bad_input(
        capsys, [f"{source}:1", "--root", str(source.parent / "elsewhere")], "not a directory"
    )


def test_file_outside_root(
    capsys: pytest.CaptureFixture[str], source: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    expect_bad_input(capsys, [f"{source}:1", "--root", str(other)], "outside the workspace")


def test_console_script_exits_2_without_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("codegen-complete")
    result = subprocess.run(
        [str(script), f"{tmp_path}/missing.py:3"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_model_list(capsys: pytest.CaptureFixture[str], tiny_store: Path) -> None:
    code, out, _ = run(capsys, "model", "list", "--models-dir", str(tiny_store))
    assert code == 0
    assert "tiny-qwen" in out
    assert "qwen2.5-coder-0.5b" in out and "not installed" in out


def test_model_list_counts_what_the_folder_holds_and_names_a_kept_source_gguf(
    capsys: pytest.CaptureFixture[str], tiny_store: Path, tmp_path: Path
) -> None:
    """An install from before `--keep-source` left the 469 MB source GGUF in the model folder;
    the listing counts it (the disk really holds it) and says how to drop it."""
    store = shutil.copytree(tiny_store, tmp_path / "store")
    folder = store / "tiny-qwen"
    held = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    (folder / "source.gguf").write_bytes(b"GGUF" + bytes(3_000_000))
    code, out, _ = run(capsys, "model", "list", "--models-dir", str(store))
    assert code == 0
    line = next(line for line in out.splitlines() if "tiny-qwen" in line)
    assert f"{(held + 3_000_004) / 1e6:8.0f} MB" in line, out
    assert "3 MB is the source GGUF" in out and "model install tiny-qwen --force" in out, out


def test_model_verify(capsys: pytest.CaptureFixture[str], tiny_store: Path) -> None:
    code, out, _ = run(capsys, "model", "verify", "tiny-qwen", "--models-dir", str(tiny_store))
    assert code == 0
    assert "matches" in out


def test_unknown_model_install(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    expect_bad_input(
        capsys,
        ["model", "install", "gpt-17", "--models-dir", str(tmp_path)],
        "unknown model 'gpt-17'",
    )


def test_index_command_shows_and_refreshes_the_workspace_index(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.py").write_text("def f(x):\n    return x\n")
    assert main(["index", str(project)]) == 0
    assert "1 files indexed" in capsys.readouterr().out
    assert main(["index", str(project)]) == 0
    assert "0 files indexed, 1 unchanged" in capsys.readouterr().out
    assert main(["index", str(project), "--rebuild"]) == 0
    assert "1 files indexed" in capsys.readouterr().out
    assert main(["index", str(tmp_path / "missing")]) == 2


def test_the_line_count_in_messages_is_the_editors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    five = tmp_path / "five.py"
    five.write_text("a\nb\nc\nd\ne\n")  # five lines, as an editor numbers them
    expect_bad_input(capsys, [f"{five}:99"], f"line 99 is past the end of {five} (5 lines)")


def options_without_help(text: str) -> list[str]:
    """Option lines of argparse's --help with no help text after them or below them."""
    lines = text.split("options:", 1)[1].splitlines()
    bare = []
    for index, line in enumerate(lines):
        if not line.startswith("  -"):
            continue
        below = lines[index + 1] if index + 1 < len(lines) else ""
        has_help = "  " in line.strip() or below.startswith(" " * 20)
        if not has_help:
            bare.append(line.strip())
    return bare


@pytest.mark.parametrize(
    "command", [[], ["eval"], ["bench"], ["index"], ["model", "install"]], ids=str
)
def test_every_option_has_help_and_no_default_depends_on_the_working_directory(
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    text = capsys.readouterr().out
    assert options_without_help(text) == [], text
    assert str(tmp_path) not in text  # no default is "wherever the command was run"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--remote-url", "http://127.0.0.1:8000"], "the --remote-* flags need --backend remote"),
        (["--backend", "remote"], "--backend remote needs --remote-url"),
        (["--backend", "remote", "--remote-url", "gpu-box:8000"], "must be an http:// or https://"),
        (["--backend", "remote", "--remote-url", "http://h", "--remote-api-key-env", "sk-1 2"],
         "must be the name of an environment variable"),
        (["--backend", "remote", "--remote-url", "http://h", "--remote-timeout", "0"],
         "--remote-timeout must be positive"),
    ],
)  # fmt: skip
def test_remote_flags_are_checked(
    capsys: pytest.CaptureFixture[str], source: Path, flags: list[str], message: str
) -> None:
    code, out, err = run(capsys, f"{source}:2", *flags)
    assert code == 2 and not out
    assert message in err and err.count("\n") == 1
