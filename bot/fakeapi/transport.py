"""An in-process transport for python-telegram-bot: requests go straight to a FakeTelegram."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.fakeapi.core import FakeTelegram
from bot.fakeapi.protocol import ApiError

__all__ = ["FakeRequest"]

_PATH = re.compile(r"/bot([^/]+)/([^/]+)$")


class FakeRequest(BaseRequest):
    """A `telegram.request.BaseRequest` answered by FakeTelegram cores, without sockets.

    Parameters are decoded exactly as they would travel over HTTP (PTB's
    `RequestData.json_parameters`: every value a string, objects JSON-encoded), so the core
    sees the same input in-process and over the network. Use one instance for
    `ApplicationBuilder().request(...)` and another for `.get_updates_request(...)`, or the
    same one for both. `read_timeout` (PTB adds the long-poll timeout for getUpdates) turns
    slow answers, e.g. from a `core.delay(...)` fault, into `telegram.error.TimedOut`.
    """

    def __init__(self, *cores: FakeTelegram, read_timeout: float | None = 5.0) -> None:
        if not cores:
            raise ValueError("FakeRequest needs at least one FakeTelegram")
        self._cores = {core.token: core for core in cores}
        self._default_core = cores[0]
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Route `{base_url}{token}/{method}` to the core owning the token."""
        parts = urlsplit(url)
        match = _PATH.search(parts.path)
        if match is None:
            missing = ApiError(404, "Not Found").to_response()
            return missing.status, missing.body()
        token, api_method = unquote(match.group(1)), match.group(2)
        params: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        if request_data is not None:
            params.update(request_data.json_parameters)
            if request_data.contains_files:
                for name, value in request_data.multipart_data.items():
                    params[name] = f"<uploaded file {value[0]!r}>"
        core = self._cores.get(token, self._default_core)
        timeout = read_timeout if isinstance(read_timeout, int | float) else None
        if read_timeout is BaseRequest.DEFAULT_NONE:
            timeout = self._read_timeout
        try:
            async with asyncio.timeout(timeout):
                response = await core.call(token, api_method, params)
        except TimeoutError:
            raise TimedOut(f"the fake Telegram did not answer {api_method} in {timeout}s") from None
        return response.status, response.body()
