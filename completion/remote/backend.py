"""A serving engine over HTTP as the backend: OpenAI-compatible `/v1/completions`, streamed.

vLLM (and llama.cpp's server, TGI, Ollama) answer the same request. The product keeps its own
prompt, stop rules and post-processing: the server gets the fully templated FIM prompt as text
(vLLM refuses the `suffix` parameter) and streams text back; `Limits.should_stop` runs on each
chunk, and closing the stream (line complete, superseded, cancelled, out of time) makes the
server abort the request, so it stops spending its GPU on it.

Requests run on an event loop of their own (one thread), so that the worker thread that asked
can keep checking cancellation and the deadline while the server is still reading the prompt,
and cancel the request at once.

Whether a new place starts with a small prompt (and the full one is read in idle time) follows
the server's speed: completion/remote/servercache.py.

A failure makes the backend rest: requests within the back-off answer at once without touching
the network, and `health` says once what is wrong, for the editor's status display.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import ssl
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from codegen_complete.completion.backend import BackendUnavailableError, Continuation, Limits
from codegen_complete.completion.engine import Constraint, StopReason
from codegen_complete.completion.prompt import Prompt
from codegen_complete.completion.remote.endpoint import Health, RemoteConfig
from codegen_complete.completion.remote.servercache import BLOCK_TOKENS, ServerCache
from codegen_complete.completion.templates import family_of_model_name

# Back-off after a failure: 1 s, doubling up to this, reset by the first success.
MAX_BACKOFF_S = 30.0
# How often the asking thread looks at cancellation and the deadline while a request runs.
POLL_S = 0.01
# The least silence a server is allowed, however close the deadline (a connection takes this).
MIN_SILENCE_S = 0.5


class RemoteError(BackendUnavailableError):
    """One failure, worded for the user (it never holds the API key)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass
class _Stream:
    """What a streaming request has produced so far (read by the asking thread)."""

    pieces: list[str] = field(default_factory=list)
    first_chunk_at: float | None = None
    stop_reason: StopReason = "stop_token"
    usage: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "".join(self.pieces)


class RemoteBackend:
    name = "remote"
    supports_constraints = False  # the server chooses tokens itself: no token healing

    def __init__(
        self, config: RemoteConfig, family: str, stop_texts: tuple[str, ...],
        stop_token_ids: tuple[int, ...], decode: Callable[[list[int]], str],
    ) -> None:  # fmt: skip
        self.config = config
        self.family = family
        self.stop_texts = stop_texts
        self.stop_token_ids = stop_token_ids
        self.decode = decode
        self._model = config.model
        self.health = Health(True, f"waiting for the first answer from {config.url}", False)
        self.cache = ServerCache()
        self._failures = 0
        self._retry_at = 0.0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="remote-backend", daemon=True
        )
        self._thread.start()
        self._client = self._run(self._new_client()).result()

    async def _new_client(self) -> httpx.AsyncClient:
        timeout = httpx.Timeout(self.config.timeout_s)
        # Certificates are checked against the system's CA store (a team's own CA installed
        # there works; OpenSSL's SSL_CERT_FILE names another). Proxy variables are not read:
        # code goes to the configured server and nowhere else.
        tls = ssl.create_default_context()
        return httpx.AsyncClient(
            base_url=self.config.url, timeout=timeout, verify=tls, trust_env=False
        )

    def _run(self, coroutine: Any) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    # --- the Backend protocol ----------------------------------------------------------------

    def cached(self, prompt: Prompt) -> int:
        return self.cache.cached(prompt.tokens)

    def warm(self, prompt: Prompt, cancelled: Callable[[], bool]) -> None:
        """Have the server read the prompt into its prefix cache (one token generated), so
        that the next keystroke there sends the full prompt cheaply; stop when cancelled."""
        if self.cache.held(prompt.tokens) >= len(prompt.tokens) - BLOCK_TOKENS:
            return
        with contextlib.suppress(RemoteError):  # the next request reports it
            self.continue_prompt(
                prompt, Limits(max_new_tokens=1, deadline=None, cancelled=cancelled)
            )

    def continue_prompt(
        self, prompt: Prompt, limits: Limits, constraint: Constraint | None = None
    ) -> Continuation:
        now = time.monotonic()
        if now < self._retry_at:
            raise RemoteError(f"{self.health.message} (next try in {self._retry_at - now:.0f} s)")
        started = time.perf_counter()
        stream = _Stream()
        future = self._run(self._complete(self.decode(prompt.tokens), limits, stream))
        reason = self._wait(future, limits)
        finished = reason is None  # by itself, not cancelled or out of time
        if finished:
            try:
                future.result()
            except RemoteError as error:
                self._failed(error)
                raise
            reason = stream.stop_reason
        # A request cancelled before the server said anything tells nothing of its health.
        if finished or stream.first_chunk_at is not None:
            self._succeeded()
        if stream.first_chunk_at is not None:  # the server read the whole prompt
            self.cache.read(prompt.tokens, stream.first_chunk_at - started)
        assert reason is not None
        return self._continuation(prompt, stream, reason, started)

    def _wait(self, future: concurrent.futures.Future[None], limits: Limits) -> StopReason | None:
        """Wait for the request; cancel it (closing the stream) when the caller cancels or
        the deadline passes, and say why. None: it finished by itself."""
        deadline = limits.deadline or float("inf")
        while not future.done():
            reason: StopReason | None = None
            if limits.cancelled():
                reason = "cancelled"
            elif time.perf_counter() >= deadline:
                reason = "time_limit"
            if reason is not None:
                future.cancel()
                return reason
            concurrent.futures.wait([future], timeout=POLL_S)
        return None

    def _continuation(
        self, prompt: Prompt, stream: _Stream, reason: StopReason, started: float
    ) -> Continuation:
        finished = time.perf_counter()
        first = stream.first_chunk_at or finished
        usage = stream.usage
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        return Continuation(
            text=self._cut_at_stop_text(stream.text),
            generated_tokens=usage.get("completion_tokens") or len(stream.pieces),
            stop_reason=reason,
            prompt_tokens=usage.get("prompt_tokens") or len(prompt.tokens),
            reused_tokens=cached,
            prefill_ms=round((first - started) * 1000, 2),
            decode_ms=round((finished - first) * 1000, 2),
        )

    def _cut_at_stop_text(self, text: str) -> str:
        """A server that writes special tokens as text: end at the first stop token."""
        cuts = [i for stop in self.stop_texts if (i := text.find(stop)) >= 0]
        return text[: min(cuts)] if cuts else text

    # --- health ------------------------------------------------------------------------------

    def _failed(self, error: RemoteError) -> None:
        delay = min(MAX_BACKOFF_S, 2.0**self._failures)
        if error.retry_after_s is not None:
            delay = min(MAX_BACKOFF_S, max(delay, error.retry_after_s))
        self._failures += 1
        self._retry_at = time.monotonic() + delay
        self.health = Health(False, f"{self.config.url}: {error}")

    def _succeeded(self) -> None:
        self._failures = 0
        self._retry_at = 0.0
        if not (self.health.ok and self.health.answered):
            self.health = self._ready()

    def _ready(self) -> Health:
        return Health(True, f"{self._model or 'the first model served'} at {self.config.url}")

    # --- HTTP --------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        name = self.config.api_key_env
        if not name:
            return {}
        key = os.environ.get(name)
        if not key:
            raise RemoteError(f"the environment variable {name} (remoteApiKeyEnv) is not set")
        return {"Authorization": f"Bearer {key}"}

    def _silence_limit(self, limits: Limits) -> float:
        """How long the server may keep silent (connecting, between chunks): `timeout_s`,
        but at most half the time left before the completion's deadline. A server that
        accepts and never answers is then an error that the status shows and the fallback
        answers, in time (with the two equal, the deadline came first: a silent empty answer)."""
        if limits.deadline is None:
            return self.config.timeout_s
        left = limits.deadline - time.perf_counter()
        return max(MIN_SILENCE_S, min(self.config.timeout_s, left / 2))

    def check(self) -> None:
        """Ask the server which models it serves (and whether it serves the one named), so
        that the status says whether it is there before the first keystroke asks."""
        try:
            self._run(self._talk(self._check_models(), self.config.timeout_s)).result()
        except RemoteError as error:
            self._failed(error)
        else:
            self._succeeded()

    async def _check_models(self) -> None:
        timeout = self.config.timeout_s
        if self._model is None:
            self._model = await self._first_model(timeout)
        elif self._model not in (served := await self._served_models(timeout)):
            raise self._no_such_model(", ".join(served) or "none")
        self._check_family(self._model)

    async def _complete(self, prompt_text: str, limits: Limits, stream: _Stream) -> None:
        timeout = self._silence_limit(limits)
        await self._talk(self._completion(prompt_text, limits, stream, timeout), timeout)

    async def _completion(
        self, prompt_text: str, limits: Limits, stream: _Stream, timeout: float
    ) -> None:
        if self._model is None:
            self._model = await self._first_model(timeout)
        self._check_family(self._model)
        await self._stream(prompt_text, limits, stream, timeout)

    async def _talk(self, work: Awaitable[None], timeout: float) -> None:
        """Run `work` (requests to the server) with its transport errors worded for the user."""
        try:
            await work
        except httpx.TimeoutException as error:
            what = "connecting" if isinstance(error, httpx.ConnectTimeout) else "answering"
            raise RemoteError(f"no answer within {timeout:.1f} s ({what})") from None
        except httpx.ConnectError as error:
            if "CERTIFICATE_VERIFY_FAILED" in str(error):
                raise RemoteError(
                    "the server's TLS certificate is not trusted here (install its CA in the "
                    "system's store, or name it in SSL_CERT_FILE)"
                ) from None
            raise RemoteError("cannot connect (is the server running?)") from None
        except httpx.TransportError as error:
            raise RemoteError(f"the connection broke off ({type(error).__name__})") from None

    async def _first_model(self, timeout: float) -> str:
        models = await self._served_models(timeout)
        if not models:
            raise RemoteError("the server lists no models at /v1/models")
        return models[0]

    def _check_family(self, model: str) -> None:
        family = family_of_model_name(model)
        if family is not None and family != self.family:
            raise RemoteError(
                f"the server's model {model!r} is a {family} model, but the prompt is built "
                f"for {self.family} (the local model's tokenizer): pick a {self.family} model"
            )

    async def _served_models(self, timeout: float) -> list[str]:
        response = await self._client.get("/v1/models", headers=self._headers(), timeout=timeout)
        _raise_for_status(response, await response.aread())
        try:
            return [entry["id"] for entry in response.json()["data"]]
        except (ValueError, KeyError, TypeError):
            raise RemoteError(_NOT_OPENAI) from None

    async def _stream(
        self, prompt_text: str, limits: Limits, stream: _Stream, timeout: float
    ) -> None:
        assert self._model is not None
        body = {
            "model": self._model,
            "prompt": prompt_text,
            "max_tokens": limits.max_new_tokens,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
            # vLLM's extension; servers that do not know it stop at end-of-text, and the
            # stop texts below catch the rest.
            "stop_token_ids": list(self.stop_token_ids),
        }
        request = self._client.build_request(
            "POST", "/v1/completions", json=body, headers=self._headers(), timeout=timeout
        )
        response = await self._client.send(request, stream=True)
        try:
            if response.status_code >= 400:
                error_body = await response.aread()
                if response.status_code == 404 and b"model" in error_body:
                    raise await self._unknown_model(timeout)
                _raise_for_status(response, error_body)
            await self._read_events(response, limits, stream)
        finally:
            await response.aclose()  # mid-stream: the server aborts the request

    async def _unknown_model(self, timeout: float) -> RemoteError:
        try:
            served = ", ".join(await self._served_models(timeout)) or "none"
        except RemoteError:
            served = "unknown"
        return self._no_such_model(served)

    def _no_such_model(self, served: str) -> RemoteError:
        return RemoteError(f"the server has no model {self._model!r} (it serves: {served})")

    async def _read_events(self, response: httpx.Response, limits: Limits, stream: _Stream) -> None:
        """Server-sent events: `data: {json}` lines until `data: [DONE]`."""
        events = 0
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue
            events += 1
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                return
            event = _event(data)
            if usage := event.get("usage"):
                stream.usage = usage
            for choice in event.get("choices") or ():
                # Any choice, even an empty one (a stop token): the server read the prompt.
                stream.first_chunk_at = stream.first_chunk_at or time.perf_counter()
                if text := choice.get("text") or "":
                    stream.pieces.append(text)
                if choice.get("finish_reason") == "length":
                    stream.stop_reason = "max_tokens"
            if stream.pieces and limits.should_stop(stream.text):
                stream.stop_reason = "caller"
                return
        raise RemoteError("the stream ended before [DONE]" if events else _NOT_OPENAI)

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._run(self._client.aclose()).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


_NOT_OPENAI = "the answer is not an OpenAI-compatible one (is remoteUrl the right server?)"


def _event(data: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except ValueError:
        raise RemoteError(_NOT_OPENAI) from None
    if not isinstance(event, dict):
        raise RemoteError(_NOT_OPENAI)
    if "error" in event:  # an error reported inside the stream
        raise RemoteError(f"the server failed mid-answer: {_error_text(event)}")
    return event


def _error_text(payload: dict[str, Any]) -> str:
    error = payload.get("error")
    message = error.get("message") if isinstance(error, dict) else error
    return str(message or payload)[:200]


def _raise_for_status(response: httpx.Response, body: bytes) -> None:
    status = response.status_code
    if status < 400:
        return
    if status in (401, 403):
        raise RemoteError(f"HTTP {status}: the server refused the API key (remoteApiKeyEnv)")
    if status == 429:
        retry_after = _seconds(response.headers.get("retry-after"))
        raise RemoteError("HTTP 429: the server is busy", retry_after_s=retry_after)
    try:
        detail = _error_text(json.loads(body))
    except (ValueError, AttributeError):
        detail = body[:120].decode("utf-8", "replace").strip() or response.reason_phrase
    raise RemoteError(f"HTTP {status}: {detail}")


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
