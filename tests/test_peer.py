"""The peer pipeline's request (measure/editor/peer.py): what llama.vscode sends to llama.cpp's
/infill, built from the same documents the real-use benchmark types into."""

from __future__ import annotations

import subprocess
from pathlib import Path

from codegen_complete.measure.editor.peer import PREFIX_LINES, SUFFIX_LINES, LlamaSession


def test_the_infill_request_is_llama_vscodes(tmp_path: Path) -> None:
    session = LlamaSession(subprocess.Popen(["true"]), port=1)
    session.process.wait()
    lines = [f"line_{i} = {i}" for i in range(600)]
    uri = session.open(tmp_path / "a.py", "\n".join(lines))
    session.open(tmp_path / "b.py", "other = 1\n" * 100)
    offset = sum(len(line) + 1 for line in lines[:400]) + len("line_400 =")
    payload = session._payload(uri, offset)
    prefix = str(payload["input_prefix"])
    assert prefix.endswith("line_399 = 399\n") and prefix.count("\n") == PREFIX_LINES
    assert payload["prompt"] == "line_400 ="
    suffix = str(payload["input_suffix"])
    assert suffix.startswith(" 400\nline_401") and suffix.count("\n") == SUFFIX_LINES
    extra = payload["input_extra"]
    assert isinstance(extra, list) and extra and all(c["filename"] == "b.py" for c in extra)
    assert payload["cache_prompt"] is True and payload["samplers"] == ["top_k", "top_p", "infill"]
