"""The pipeline users would pick instead, for the real-use benchmark: llama.cpp's server on the
same GGUF, called the way llama.vscode calls it.

    python -m codegen_complete.measure.editor.peer build     # once: ~10 minutes on 2 cores
    python -m codegen_complete.measure.editor.peer ensure    # build unless built

`build` compiles `llama-server` from the llama.cpp sources inside the llama-cpp-python sdist
(PyPI is the only source reachable here) into the user cache folder. Only this benchmark
builds it; nothing else depends on it.

`LlamaSession` drives a `llama-server --cache-reuse 256` with llama.vscode's request: `/infill`
with the 256 lines before the cursor's line as `input_prefix`, the cursor's line up to the
cursor as `prompt`, the rest of the line and the next 64 lines as `input_suffix`, chunks of 64
lines from the other open files as `input_extra` (its ring), `cache_prompt`, top-k 40 sampling
with the `infill` sampler, `n_predict` 128 and its time caps. A newer request from the same
document closes the older one's connection, which aborts it on the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from codegen_complete.measure.editor.lspclient import Received
from codegen_complete.measure.speed.bench_engines import memory_mb
from codegen_complete.models.store import cache_home

SDIST = "llama-cpp-python==0.3.36"
PREFIX_LINES, SUFFIX_LINES = 256, 64
CHUNK_LINES, RING_CHUNKS = 64, 16
REQUEST = {
    "n_predict": 128,
    "top_k": 40,
    "top_p": 0.99,
    "stream": False,
    "samplers": ["top_k", "top_p", "infill"],
    "cache_prompt": True,
    "t_max_prompt_ms": 500,
    "t_max_predict_ms": 1000,
}


def cache_dir() -> Path:
    return cache_home() / "llama.cpp"


def server_binary() -> Path:
    return cache_dir() / "llama-server"


def build() -> Path:
    """Compile llama-server from the sdist's vendored llama.cpp; the binary's path."""
    target = server_binary()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--quiet", "-d", str(work), SDIST],
            check=True,
        )  # fmt: skip
        (archive,) = work.glob("llama_cpp_python-*.tar.gz")
        with tarfile.open(archive) as sdist:
            sdist.extractall(work, filter="data")
        (source,) = work.glob("llama_cpp_python-*/vendor/llama.cpp")
        build_dir = work / "build"
        subprocess.run(
            ["cmake", "-S", str(source), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
             "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
             "-DBUILD_SHARED_LIBS=OFF"],
            check=True,
        )  # fmt: skip
        subprocess.run(
            ["cmake", "--build", str(build_dir), "--target", "llama-server", "-j",
             str(os.cpu_count() or 2)],
            check=True,
        )  # fmt: skip
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build_dir / "bin" / "llama-server", target)
    return target


@dataclass
class LlamaSession:
    """llama-server with one model, and the documents as the editor sees them."""

    process: subprocess.Popen[bytes]
    port: int
    texts: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    _inflight: dict[str, asyncio.Task[Received]] = field(default_factory=dict)

    @classmethod
    async def start(cls, gguf: Path, threads: int, port: int = 8012) -> LlamaSession:
        binary = server_binary()
        if not binary.is_file():
            raise SystemExit(f"{binary}: not built; run: python -m {__name__} build")
        process = subprocess.Popen(
            [str(binary), "-m", str(gguf), "--port", str(port), "--host", "127.0.0.1",
             "-t", str(threads), "-c", "4096", "-np", "1", "--cache-reuse", "256",
             "-b", "1024", "-ub", "1024"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        session = cls(process, port)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if await asyncio.to_thread(session._healthy):
                return session
            await asyncio.sleep(0.25)
        process.kill()
        raise SystemExit("llama-server did not become ready in 120 s")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    @property
    def crashed(self) -> bool:
        return self.process.poll() is not None

    def peak_rss_mb(self) -> float:
        return memory_mb("VmHWM", self.process.pid)

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.texts[uri] = text
        return uri

    def close(self, uri: str) -> None:
        del self.texts[uri]

    def replace(self, uri: str, start: int, end: int, new_text: str) -> None:
        text = self.texts[uri]
        self.texts[uri] = text[:start] + new_text + text[end:]

    def request(self, uri: str, offset: int, invoked: bool) -> asyncio.Task[Received]:
        previous = self._inflight.pop(uri, None)
        if previous is not None and not previous.done():
            previous.cancel()  # closes its connection: the server aborts it
        task = asyncio.ensure_future(self._infill(self._payload(uri, offset)))
        self._inflight[uri] = task
        return task

    def _payload(self, uri: str, offset: int) -> dict[str, object]:
        text = self.texts[uri]
        line_start = text.rfind("\n", 0, offset) + 1
        before_lines = text[:line_start].split("\n")[:-1]
        after = text[offset:].split("\n")
        chunks = [
            {"filename": Path(other).name, "text": chunk, "time": 0}
            for other, other_text in self.texts.items()
            if other != uri
            for chunk in _chunks(other_text)
        ][:RING_CHUNKS]
        return {
            "input_prefix": "".join(line + "\n" for line in before_lines[-PREFIX_LINES:]),
            "prompt": text[line_start:offset],
            "input_suffix": "\n".join(after[: SUFFIX_LINES + 1]),
            "input_extra": chunks,
            "n_indent": len(text[line_start:offset]) - len(text[line_start:offset].lstrip()),
            **REQUEST,
        }

    async def _infill(self, payload: dict[str, object]) -> Received:
        sent = time.perf_counter()
        body = json.dumps(payload).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(
                b"POST /infill HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            response = await reader.read()
        except asyncio.CancelledError:
            writer.close()
            return Received("", time.perf_counter() - sent)
        finally:
            writer.close()
        latency = time.perf_counter() - sent
        _, _, data = response.partition(b"\r\n\r\n")
        try:
            result = json.loads(data)
        except ValueError:
            self.log.append(f"unreadable answer: {data[:200]!r}")
            return Received("", latency)
        content = str(result.get("content", ""))
        self.log.append(
            f"prompt {result.get('timings', {}).get('prompt_n')} tokens, cached "
            f"{result.get('tokens_cached')}, stop {result.get('stop_type', '')}"
        )
        return Received(content, latency)

    async def stop(self) -> None:
        for task in self._inflight.values():
            task.cancel()
        self.process.terminate()
        await asyncio.to_thread(self.process.wait)


def _chunks(text: str) -> list[str]:
    lines = text.split("\n")
    return ["\n".join(lines[i : i + CHUNK_LINES]) for i in range(0, len(lines), CHUNK_LINES)]


if __name__ == "__main__":
    if sys.argv[1:] == ["build"] or (sys.argv[1:] == ["ensure"] and not server_binary().is_file()):
        print(build())
    elif sys.argv[1:] != ["ensure"]:
        raise SystemExit(f"usage: python -m {__name__} build|ensure")
