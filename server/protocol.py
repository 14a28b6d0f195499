"""pygls's protocol with the JSON-RPC and LSP rules it leaves out (see `Protocol`)."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCRequestMessage


class _Futures(dict[Any, Any]):
    """pygls's pending futures. Its shutdown handler cancels them while iterating over them,
    and cancelling runs done-callbacks at once (ours below drops the future): iterate over a
    copy, or shutting down while the model loads fails with 'dictionary changed size'."""

    def items(self) -> Any:
        return list(super().items())


class Protocol(LanguageServerProtocol):
    """pygls with the JSON-RPC and LSP rules it leaves out, so that no request waits forever
    and none is answered with a traceback:
    - a request whose params do not deserialize gets the JSON-RPC error (pygls drops it);
    - a method the server does not offer is -32601 before its params are read (pygls read
      them first and answered -32602 with a traceback when they were not its type's);
    - before `initialize` a request is -32002 and a notification other than `exit` is
      dropped (pygls served them, and a `shutdown` then left the server deaf);
    - after `shutdown` a request is -32600 (pygls never answered it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_futures = _Futures()
        self._initialize_seen = False

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        request_id = getattr(message, "id", None)
        if method is None:  # a response or an error from the client
            super().handle_message(message)
            return
        if not self._initialize_seen and method != types.INITIALIZE:
            if request_id is not None:
                self._refuse(request_id, JsonRpcServerNotInitialized, f"{method} before initialize")
            elif method == types.EXIT:
                super().handle_message(message)
            return
        if self._shutdown and request_id is not None:
            self._refuse(request_id, JsonRpcInvalidRequest, f"{method} after shutdown")
            return
        if method == types.INITIALIZE:
            self._initialize_seen = True
        super().handle_message(message)

    def _refuse(self, request_id: Any, error: type[JsonRpcException], why: str) -> None:
        self._send_data(
            types.ResponseErrorMessage(
                id=request_id, error=types.ResponseError(code=error.CODE, message=why)
            )
        )

    def _offers(self, method: str) -> bool:
        return method in self.fm.builtin_features or method in self.fm.features

    def structure_message(self, data: dict[str, Any]) -> Any:
        method = data.get("method")
        if "id" in data and isinstance(method, str) and not self._offers(method):
            # Generic: its params are not read; the handler lookup then answers -32601.
            return self._converter.structure({"params": None, **data}, JsonRPCRequestMessage)
        try:
            return super().structure_message(data)
        except (JsonRpcInvalidParams, JsonRpcInternalError) as error:
            if "id" in data and "method" in data:
                self._send_data(
                    types.ResponseErrorMessage(
                        id=data["id"],
                        error=types.ResponseError(
                            code=error.code, message=f"{data['method']}: {error.message}"
                        ),
                    )
                )
            raise

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        # pygls 2.1 files the future of every notification (and of each step of its builtin
        # generator handlers) under a fresh uuid in _request_futures and never removes it:
        # only answering a request does. That leaked ~2.4 KB per keystroke (didChange).
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda done: self._forget(msg_id, done))

    def _forget(self, msg_id: Any, done: Any) -> None:
        if self._request_futures.get(msg_id) is done:
            del self._request_futures[msg_id]
