"""A cache of what loading and indexing each knowledge file gave, so a reload redoes only the
files that changed.

Each record is plain data (tuples, dicts, strings, numbers, bytes) written with `marshal` and
sealed with a keyed BLAKE2b MAC. The key is a random secret the cache creates in its own folder
(mode 0600) the first time; a record is used only when its MAC, its format and the key it is
filed under (which names the code version and the content it came from) all check out.
Anything else (a damaged, truncated, forged or older record) is logged and ignored: the
caller rebuilds it from the YAML, so the cache can never change what loads, only how fast.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import marshal
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pydantic
import yaml

logger = logging.getLogger(__name__)

CACHE_FOLDER = "knowledge-cache"
# Raised whenever a record's layout changes: older records are then ignored.
CACHE_FORMAT = 1
_MAGIC = b"KBC1"
_MAC_BYTES = 32
_SECRET_FILE = "secret"
_SECRET_BYTES = 32
_SUFFIX = ".rec"
_STALE_TEMPORARY_S = 3600


def _platform() -> str:
    """What a record depends on besides the code that wrote it: the interpreter and marshal,
    and the libraries whose results it holds (pydantic's verdicts and messages, PyYAML's
    parse and line numbers, which differ between its C and pure-Python loaders)."""
    return (
        f"{sys.version} {sys.byteorder} marshal {marshal.version} pydantic {pydantic.VERSION} "
        f"yaml {yaml.__version__} libyaml {yaml.__with_libyaml__}"
    )


def code_digest(files: Iterable[Path]) -> str:
    """A digest of source files, the interpreter and the libraries: a record made by other
    code is not used."""
    digest = hashlib.sha256(_platform().encode())
    for path in sorted(files):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def content_key(*parts: str | bytes) -> str:
    """A key for a record: a SHA-256 of everything its content depends on."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def _owned(path: Path) -> bool:
    """True when only this user can change `path` (owned by it, not group or world writable)."""
    try:
        stat = path.stat()
    except OSError:
        return False
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


class CacheStore:
    """Sealed records in one folder that only the bot writes (DATA_DIR/knowledge-cache)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._secret: bytes | None = None
        # The keys read or written by this process, per kind, for `prune`. A reload and the
        # live notices' rebuild may use the store from two threads at once.
        self.used: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def _use(self, kind: str, key: str) -> None:
        with self._lock:
            self.used.setdefault(kind, set()).add(key)

    def _key(self) -> bytes | None:
        if self._secret is not None:
            return self._secret
        path = self.folder / _SECRET_FILE
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            secret = self._read_or_make_secret(path)
        except OSError as error:
            logger.warning("the knowledge cache %s is not usable: %s", self.folder, error)
            return None
        if len(secret) != _SECRET_BYTES or not _owned(path) or not _owned(self.folder):
            logger.warning(
                "the knowledge cache's secret is damaged, or it or its folder can be written "
                "by others; the cache is not used"
            )
            return None
        self._secret = secret
        return secret

    def _read_or_make_secret(self, path: Path) -> bytes:
        """The secret at `path`; made when there is none, or replaced when the one there is
        damaged and ours. A new one is written whole beside it and then put in place, so a
        crash never leaves an empty secret (which turned the cache off for good)."""
        try:
            secret: bytes | None = path.read_bytes()
        except FileNotFoundError:
            secret = None
        if secret is not None and (len(secret) == _SECRET_BYTES or not _owned(path)):
            return secret  # good, or not ours to replace (the caller says why it is not used)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".secret-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(secrets.token_bytes(_SECRET_BYTES))
                file.flush()
                os.fsync(file.fileno())
            if secret is None:
                # Another process may have made one first: that one is then used.
                with contextlib.suppress(FileExistsError):
                    os.link(temporary, path)
            else:
                Path(temporary).replace(path)
        finally:
            Path(temporary).unlink(missing_ok=True)
        # What is in place now (ours, or the one another process put there first).
        return path.read_bytes()

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / f"{kind}-{key[:40]}{_SUFFIX}"

    @staticmethod
    def _mac(secret: bytes, name: str, payload: bytes) -> bytes:
        return hashlib.blake2b(
            name.encode() + b"\0" + payload, key=secret, digest_size=_MAC_BYTES
        ).digest()

    def get(self, kind: str, key: str) -> Any:
        """The data filed under `key`, or None when there is none that can be trusted."""
        self._use(kind, key)
        secret = self._key()
        if secret is None:
            return None
        path = self._path(kind, key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            logger.warning("knowledge cache record %s cannot be read: %s", path.name, error)
            return None
        header = len(_MAGIC) + _MAC_BYTES
        payload = raw[header:]
        if (
            len(raw) <= header
            or raw[: len(_MAGIC)] != _MAGIC
            or not hmac.compare_digest(raw[len(_MAGIC) : header], self._mac(secret, kind, payload))
        ):
            logger.warning("knowledge cache record %s is damaged or forged; rebuilt", path.name)
            return None
        try:
            document = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            logger.warning("knowledge cache record %s cannot be decoded; rebuilt", path.name)
            return None
        if (
            not isinstance(document, tuple)
            or len(document) != 3
            or document[0] != CACHE_FORMAT
            or document[1] != key
        ):
            logger.info("knowledge cache record %s is from another version; rebuilt", path.name)
            return None
        return document[2]

    def put(self, kind: str, key: str, data: Any) -> None:
        """File `data` under `key` atomically; a failure is logged and changes nothing else."""
        self._use(kind, key)
        secret = self._key()
        if secret is None:
            return
        path = self._path(kind, key)
        try:
            payload = marshal.dumps((CACHE_FORMAT, key, data))
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".rec-", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(_MAGIC + self._mac(secret, kind, payload) + payload)
                Path(temporary).replace(path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except (OSError, ValueError) as error:
            logger.warning("could not write knowledge cache record %s: %s", path.name, error)

    def prune(self, kind: str) -> None:
        """Delete the records of `kind` this process has not used (files edited or removed)."""
        with self._lock:
            used = self.used.pop(kind, set())
        keep = {self._path(kind, key).name for key in used}
        try:
            for path in self.folder.glob(f"{kind}-*{_SUFFIX}"):
                if path.name not in keep:
                    path.unlink(missing_ok=True)
            # A write cut short (the bot killed mid-write) leaves its temporary file; one this
            # old is no other thread's write in progress.
            stale = time.time() - _STALE_TEMPORARY_S
            for pattern in (".rec-*.tmp", ".secret-*.tmp"):
                for path in self.folder.glob(pattern):
                    if path.stat().st_mtime < stale:
                        path.unlink(missing_ok=True)
        except OSError as error:
            logger.warning("could not prune the knowledge cache %s: %s", self.folder, error)
