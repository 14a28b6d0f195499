"""The remote backend against a real HTTP server that speaks OpenAI's `/v1/completions`
(tests/openai_server.py): streaming, stopping and aborting, and every failure a deployment
shows, each answered by one clear message and a rest before the next try."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen_complete.completion.backend import Limits
from codegen_complete.completion.prompt import Prompt
from codegen_complete.completion.remote.backend import RemoteBackend, RemoteError
from codegen_complete.completion.remote.endpoint import RemoteConfig, check_url
from codegen_complete.completion.remote.servercache import ServerCache
from codegen_complete.completion.templates import FAMILIES, family_of_model_name
from tests.openai_server import Behaviour, OpenAIServer

PROMPT = Prompt(tokens=[11, 12, 13], prefix="def add(a, b):\n    return ", suffix="")
PROMPT_TEXT = "<|fim_prefix|><|fim_suffix|><|fim_middle|>def add(a, b):\n    return "
LINE = Limits(max_new_tokens=16, deadline=None, should_stop=lambda text: "\n" in text)


@pytest.fixture()
def server() -> Iterator[OpenAIServer]:
    server = OpenAIServer()
    yield server
    server.close()


def backend_for(url: str, **config: object) -> RemoteBackend:
    family = FAMILIES["qwen2.5-coder"]
    return RemoteBackend(
        RemoteConfig(url, **config),  # type: ignore[arg-type]
        family.name,
        family.stop_tokens,
        (151643, 151659),
        lambda tokens: PROMPT_TEXT,
    )


@pytest.fixture()
def backend(server: OpenAIServer) -> Iterator[RemoteBackend]:
    backend = backend_for(server.url, model="qwen2.5-coder-0.5b", timeout_s=2.0)
    yield backend
    backend.close()


def test_the_templated_prompt_is_streamed_back_as_text(
    server: OpenAIServer, backend: RemoteBackend
) -> None:
    continuation = backend.continue_prompt(PROMPT, LINE)
    assert continuation.text == "a + b\n"
    assert continuation.stop_reason == "caller"  # the line was complete: the stream closed
    (request,) = server.completions()
    assert request.body is not None
    assert request.body["prompt"] == PROMPT_TEXT  # the whole FIM template, no `suffix`
    assert "suffix" not in request.body
    assert request.body["stream"] is True and request.body["temperature"] == 0
    assert request.body["max_tokens"] == 16
    assert request.body["stop_token_ids"] == [151643, 151659]
    assert "Authorization" not in request.headers
    assert backend.health.ok


def test_the_stream_is_closed_as_soon_as_the_line_is_complete(
    server: OpenAIServer, backend: RemoteBackend
) -> None:
    server.behaviour = Behaviour(pieces=["x", "\n", *["y"] * 40], delay_s=0.02)
    continuation = backend.continue_prompt(PROMPT, LINE)
    assert continuation.text == "x\n"
    # The server's next write fails: it stops generating (vLLM aborts the request).
    assert server.abandoned.wait(5)


def test_a_cancelled_request_stops_and_closes_the_stream(
    server: OpenAIServer, backend: RemoteBackend
) -> None:
    server.behaviour = Behaviour(pieces=["y"] * 200, delay_s=0.02)
    asked = time.perf_counter()
    limits = Limits(16, None, cancelled=lambda: time.perf_counter() - asked > 0.2)
    continuation = backend.continue_prompt(PROMPT, limits)
    assert continuation.stop_reason == "cancelled"
    assert time.perf_counter() - asked < 1.5
    assert server.abandoned.wait(5)


def test_a_cancel_while_the_server_reads_the_prompt_does_not_wait_for_it(
    server: OpenAIServer, backend: RemoteBackend
) -> None:
    server.behaviour = Behaviour(first_delay_s=1.5)
    asked = time.perf_counter()
    limits = Limits(16, None, cancelled=lambda: time.perf_counter() - asked > 0.1)
    assert backend.continue_prompt(PROMPT, limits).stop_reason == "cancelled"
    assert time.perf_counter() - asked < 1.0


def test_the_time_limit_keeps_what_came_so_far(
    server: OpenAIServer, backend: RemoteBackend
) -> None:
    server.behaviour = Behaviour(pieces=["y"] * 200, delay_s=0.02)
    limits = Limits(200, deadline=time.perf_counter() + 0.3)
    continuation = backend.continue_prompt(PROMPT, limits)
    assert continuation.stop_reason == "time_limit"
    assert continuation.text and set(continuation.text) == {"y"}
    assert continuation.prefill_ms > 0 and continuation.decode_ms > 0


def test_max_tokens_is_reported(server: OpenAIServer, backend: RemoteBackend) -> None:
    server.behaviour = Behaviour(pieces=["y"] * 40)
    continuation = backend.continue_prompt(PROMPT, Limits(5, None))
    assert (continuation.text, continuation.stop_reason) == ("yyyyy", "max_tokens")
    assert (continuation.generated_tokens, continuation.prompt_tokens) == (5, 7)  # usage


def test_a_stop_token_written_as_text_ends_the_text(
    server: OpenAIServer, backend: RemoteBackend
) -> None:
    server.behaviour = Behaviour(pieces=["a + b", "<|endoftext|>", "junk"])
    assert backend.continue_prompt(PROMPT, Limits(16, None)).text == "a + b"


def test_without_a_model_name_the_first_served_model_is_used(server: OpenAIServer) -> None:
    server.behaviour = Behaviour(models=["Qwen/Qwen2.5-Coder-7B"])
    backend = backend_for(server.url)
    try:
        assert backend.continue_prompt(PROMPT, LINE).text == "a + b\n"
    finally:
        backend.close()
    assert [r.path for r in server.requests] == ["/v1/models", "/v1/completions"]
    assert server.completions()[0].body["model"] == "Qwen/Qwen2.5-Coder-7B"  # type: ignore[index]
    assert "Qwen/Qwen2.5-Coder-7B" in backend.health.message


def test_a_model_of_another_family_is_refused(server: OpenAIServer) -> None:
    server.behaviour = Behaviour(models=["bigcode/starcoder2-7b"])
    backend = backend_for(server.url)
    try:
        with pytest.raises(RemoteError, match=r"starcoder model.*built for qwen2.5-coder"):
            backend.continue_prompt(PROMPT, LINE)
    finally:
        backend.close()
    assert server.completions() == []


def test_a_wrong_model_name_lists_what_the_server_has(server: OpenAIServer) -> None:
    backend = backend_for(server.url, model="qwen2.5-coder-7b")
    try:
        with pytest.raises(RemoteError, match=r"no model 'qwen2.5-coder-7b'.*qwen2.5-coder-0.5b"):
            backend.continue_prompt(PROMPT, LINE)
    finally:
        backend.close()


def test_a_server_that_is_not_there(backend: RemoteBackend, server: OpenAIServer) -> None:
    server.close()
    with pytest.raises(RemoteError, match="cannot connect"):
        backend.continue_prompt(PROMPT, LINE)
    assert not backend.health.ok and "cannot connect" in backend.health.message


def test_after_a_failure_requests_rest_then_try_again_and_recover(
    server: OpenAIServer, backend: RemoteBackend
) -> None:
    server.behaviour = Behaviour(status=503, body=b'{"error": {"message": "overloaded"}}')
    with pytest.raises(RemoteError, match="HTTP 503: overloaded"):
        backend.continue_prompt(PROMPT, LINE)
    # Within the back-off nothing touches the network, and the message says when it retries.
    with pytest.raises(RemoteError, match="next try in"):
        backend.continue_prompt(PROMPT, LINE)
    assert len(server.completions()) == 1
    server.behaviour = Behaviour()
    time.sleep(1.05)  # the first rest is one second
    assert backend.continue_prompt(PROMPT, LINE).text == "a + b\n"
    assert backend.health.ok


def test_rests_double_up_to_a_cap(server: OpenAIServer, backend: RemoteBackend) -> None:
    server.behaviour = Behaviour(status=500)
    rests = []
    for _ in range(7):
        backend._retry_at = 0.0  # skip the wait itself
        with pytest.raises(RemoteError):
            backend.continue_prompt(PROMPT, LINE)
        rests.append(round(backend._retry_at - time.monotonic()))
    assert rests == [1, 2, 4, 8, 16, 30, 30]


def test_429_rests_as_long_as_the_server_asks(server: OpenAIServer, backend: RemoteBackend) -> None:
    server.behaviour = Behaviour(status=429, headers={"Retry-After": "12"})
    with pytest.raises(RemoteError, match="429: the server is busy"):
        backend.continue_prompt(PROMPT, LINE)
    assert 11 < backend._retry_at - time.monotonic() <= 12


def test_a_forbidden_answer_says_so(server: OpenAIServer, backend: RemoteBackend) -> None:
    server.behaviour = Behaviour(status=403, body=b'{"error": {"message": "forbidden"}}')
    with pytest.raises(RemoteError, match="HTTP 403: the server refused the API key"):
        backend.continue_prompt(PROMPT, LINE)


def test_a_refused_key_says_so_and_never_shows_the_key(
    server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.behaviour = Behaviour(required_key="s3cret-right")
    monkeypatch.setenv("TEAM_KEY", "s3cret-wrong")
    backend = backend_for(server.url, model="qwen2.5-coder-0.5b", api_key_env="TEAM_KEY")
    try:
        with pytest.raises(RemoteError) as refused:
            backend.continue_prompt(PROMPT, LINE)
        assert "HTTP 401" in str(refused.value) and "API key" in str(refused.value)
        assert "s3cret" not in str(refused.value) and "s3cret" not in backend.health.message
        assert server.requests[-1].headers["Authorization"] == "Bearer s3cret-wrong"
        monkeypatch.setenv("TEAM_KEY", "s3cret-right")  # read at each request
        backend._retry_at = 0.0
        assert backend.continue_prompt(PROMPT, LINE).text == "a + b\n"
    finally:
        backend.close()


def test_a_key_variable_that_is_not_set(server: OpenAIServer) -> None:
    backend = backend_for(server.url, model="qwen2.5-coder-0.5b", api_key_env="NO_SUCH_KEY_VAR")
    try:
        with pytest.raises(RemoteError, match=r"NO_SUCH_KEY_VAR .* is not set"):
            backend.continue_prompt(PROMPT, LINE)
    finally:
        backend.close()
    assert server.requests == []


def test_an_answer_that_is_not_json(server: OpenAIServer, backend: RemoteBackend) -> None:
    server.behaviour = Behaviour(status=200, body=b"<html>a login page</html>")
    with pytest.raises(RemoteError, match="not an OpenAI-compatible"):
        backend.continue_prompt(PROMPT, LINE)


def test_an_html_error_page(server: OpenAIServer, backend: RemoteBackend) -> None:
    server.behaviour = Behaviour(status=502, body=b"<html>Bad Gateway</html>")
    with pytest.raises(RemoteError, match="HTTP 502: <html>Bad Gateway"):
        backend.continue_prompt(PROMPT, LINE)


def test_a_stream_cut_in_the_middle(server: OpenAIServer, backend: RemoteBackend) -> None:
    server.behaviour = Behaviour(pieces=["a", " +", " b"], cut_after=2)
    with pytest.raises(RemoteError, match=r"broke off|ended before"):
        backend.continue_prompt(PROMPT, Limits(16, None))


def test_a_server_that_is_too_slow(server: OpenAIServer) -> None:
    server.behaviour = Behaviour(first_delay_s=1.0)
    backend = backend_for(server.url, model="qwen2.5-coder-0.5b", timeout_s=0.3)
    try:
        with pytest.raises(RemoteError, match=r"no answer within 0.3 s"):
            backend.continue_prompt(PROMPT, LINE)
    finally:
        backend.close()


def test_urls() -> None:
    assert check_url("http://gpu-box:8000/v1/") == "http://gpu-box:8000"
    assert check_url(" https://gpu-box ") == "https://gpu-box"
    for bad in ("gpu-box:8000", "ftp://gpu-box", "http://", ""):
        with pytest.raises(ValueError):
            check_url(bad)
    assert RemoteConfig("http://gpu-box:8000").warnings()  # code in the clear
    assert RemoteConfig("http://10.0.0.7:8000").warnings()
    assert not RemoteConfig("https://gpu-box:8000").warnings()
    assert not RemoteConfig("http://127.0.0.1:8000").warnings()
    assert not RemoteConfig("http://localhost:8000").warnings()
    assert not RemoteConfig("http://[::1]:8000").warnings()


def test_families_from_served_names() -> None:
    assert family_of_model_name("Qwen/Qwen2.5-Coder-7B") == "qwen2.5-coder"
    assert family_of_model_name("qwen2.5-coder-0.5b") == "qwen2.5-coder"
    assert family_of_model_name("bigcode/starcoder2-15b") == "starcoder"
    assert family_of_model_name("deepseek-ai/deepseek-coder-6.7b-base") == "deepseek-coder"
    assert family_of_model_name("my-team-model") is None


NO_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise AssertionError(f"a network connection was attempted: {args}")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
from codegen_complete.server.cli import main
code = main(sys.argv[1:])
assert "httpx" not in sys.modules, "the HTTP client was loaded"
sys.exit(code)
"""


def test_nothing_touches_the_network_unless_the_remote_backend_is_set(
    tiny_store: Path, tmp_path: Path
) -> None:
    source = tmp_path / "app.py"
    source.write_text("def add(a, b):\n    return \n")
    flags = ["--model", "tiny-qwen", "--models-dir", str(tiny_store), "--root", str(tmp_path)]
    local = subprocess.run(
        [sys.executable, "-c", NO_NETWORK, f"{source}:2", *flags],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    # The same guard catches the remote backend's connection: the check is real.
    remote = subprocess.run(
        [sys.executable, "-c", NO_NETWORK, f"{source}:2", *flags,
         "--backend", "remote", "--remote-url", "http://127.0.0.1:9"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "a network connection was attempted" in remote.stderr


def test_a_server_measured_fast_is_sent_the_full_prompt_at_once() -> None:
    cache = ServerCache()
    assert cache.cached(list(range(1000))) == 0  # not measured: assume slow
    cache.read(list(range(256)), first_token_s=0.05)  # 5,000 tokens/s: a GPU
    assert cache.cached(list(range(5000, 6000))) == 1000


def test_a_slow_server_gets_what_its_cache_probably_holds() -> None:
    cache = ServerCache()
    cache.read(list(range(1000)), first_token_s=2.5)  # 400 tokens/s, vLLM on 2 CPU cores
    assert cache.prefill_tokens_s == 400
    assert cache.cached(list(range(5000, 6000))) == 0  # a new place
    typed = [*range(1000), 7]
    assert cache.cached(typed) == 992  # whole 32-token blocks of the last prompt
    assert cache.held(list(range(40))) == 32


def test_warming_has_the_server_read_the_full_prompt(
    server: OpenAIServer, backend: RemoteBackend
) -> None:
    prompt = Prompt(tokens=list(range(300)), prefix="", suffix="")
    backend.warm(prompt, lambda: False)
    (request,) = server.completions()
    assert request.body is not None and request.body["max_tokens"] == 1
    assert backend.cache.held(prompt.tokens) == 288
    backend.warm(prompt, lambda: False)  # held already: nothing sent
    assert len(server.completions()) == 1


@pytest.fixture()
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_https_with_the_teams_own_certificate(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = OpenAIServer(tls=certificate)
    try:
        untrusted = backend_for(server.url, model="qwen2.5-coder-0.5b")
        with pytest.raises(RemoteError, match="TLS certificate is not trusted"):
            untrusted.continue_prompt(PROMPT, LINE)
        untrusted.close()
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        trusted = backend_for(server.url, model="qwen2.5-coder-0.5b")
        assert trusted.continue_prompt(PROMPT, LINE).text == "a + b\n"
        trusted.close()
    finally:
        server.close()


def test_a_request_cancelled_before_any_answer_does_not_clear_a_failure(
    server: OpenAIServer, backend: RemoteBackend
) -> None:
    server.behaviour = Behaviour(status=500)
    with pytest.raises(RemoteError):
        backend.continue_prompt(PROMPT, LINE)
    backend._retry_at = 0.0
    server.behaviour = Behaviour(first_delay_s=1.0)
    cancelled = Limits(16, None, cancelled=lambda: True)
    assert backend.continue_prompt(PROMPT, cancelled).stop_reason == "cancelled"
    assert not backend.health.ok  # still down as far as anyone knows


def test_a_warmed_prompt_whose_one_token_is_a_stop_token_counts_as_read(
    server: OpenAIServer, backend: RemoteBackend
) -> None:
    server.behaviour = Behaviour(pieces=[])  # the first token ends the completion
    prompt = Prompt(tokens=list(range(300)), prefix="", suffix="")
    backend.warm(prompt, lambda: False)
    assert backend.cache.held(prompt.tokens) == 288


def test_a_server_that_accepts_and_never_answers_fails_within_the_time_limit() -> None:
    from tests.test_remote_lsp import HungServer

    hung = HungServer()
    backend = backend_for(hung.url, model="qwen2.5-coder-0.5b")  # the default timeout, 10 s
    started = time.perf_counter()
    try:
        # The completion's time limit is 2 s: the server may keep silent half of what is left,
        # so the failure is an error in time for the fallback, not an empty answer at the end.
        with pytest.raises(RemoteError, match=r"no answer within [01]\.\d s"):
            backend.continue_prompt(PROMPT, dataclasses.replace(LINE, deadline=started + 2.0))
        assert time.perf_counter() - started < 1.8
        assert not backend.health.ok
    finally:
        backend.close()
        hung.close()
