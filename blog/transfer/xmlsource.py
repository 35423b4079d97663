"""Opening an export safely and streaming its XML: no entities, no network, no DTD, recovered where broken."""

from __future__ import annotations

import bisect
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from lxml import etree  # type: ignore[import-untyped]

from .items import ImportFailed

HEAD_BYTES = 256 * 1024
_ELEMENT_START = re.compile(rb"<(?![?!])")
TRUNCATED = {"ERR_TAG_NOT_FINISHED", "ERR_LTSLASH_REQUIRED", "ERR_DOCUMENT_END"}


class _Rejoined:
    """The bytes read ahead for the checks, then the rest of the stream: what the parser reads."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size is None or size < 0:
                data, self.head = self.head + self.rest.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            return data
        return self.rest.read(size)


def split_tag(tag: str) -> tuple[str | None, str]:
    """Namespace and local name; an element with an unbound prefix (recovered) has no namespace."""
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}", 1)
        return namespace, local
    return None, tag


@contextmanager
def opened_export(path: str) -> Iterator[tuple[IO[bytes], str]]:
    """The export's XML as a stream, read from the file or from the feed.atom inside a Takeout .zip."""
    file = Path(path)
    if not file.exists():
        raise ImportFailed(f"{path}: no such file.")
    if not file.is_file():
        raise ImportFailed(f"{path}: not a file.")
    if file.stat().st_size == 0:
        raise ImportFailed(f"{path}: the file is empty.")
    with file.open("rb") as raw:
        if raw.read(4) == b"PK\x03\x04":
            raw.seek(0)
            try:
                archive = zipfile.ZipFile(raw)
            except zipfile.BadZipFile:
                raise ImportFailed(f"{path}: a damaged .zip file.") from None
            feeds = sorted(name for name in archive.namelist() if name.rsplit("/", 1)[-1] == "feed.atom")
            if not feeds:
                raise ImportFailed(f"{path}: a .zip without a Blogger feed.atom (not a Blogger Takeout archive).")
            with archive, archive.open(feeds[0]) as member:
                yield checked(member, path), f"{path}!{feeds[0]}"
            return
        raw.seek(0)
        yield checked(raw, path), path


def checked(stream: IO[bytes], path: str) -> IO[bytes]:
    """Refuse what is not XML, and any entity declaration (entity bombs, external entities), before parsing."""
    head = stream.read(HEAD_BYTES)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise ImportFailed(f"{path}: the file is empty.")
    if not text.startswith(b"<"):
        raise ImportFailed(f"{path}: not an XML file (it does not start with '<').")
    root = _ELEMENT_START.search(head)
    prolog = head if root is None else head[: root.start()]
    if b"<!ENTITY" in prolog:
        raise ImportFailed(f"{path}: the XML declares entities (<!ENTITY>); refused, exports never need them.")
    return _Rejoined(head, stream)  # type: ignore[return-value]


class ExportParser:
    """lxml's streaming parser with entities, network and DTDs off, recovering what a broken entry spoils."""

    def __init__(self, stream: IO[bytes], path: str):
        self.path = path
        self._events = etree.iterparse(
            stream,
            events=("start", "end"),
            recover=True,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        self._item_lines: list[int] = []
        self._item_labels: list[str] = []

    def __iter__(self) -> Iterator[tuple[str, etree._Element]]:
        try:
            yield from self._events
        except etree.XMLSyntaxError as error:
            raise ImportFailed(f"{self.path}: not readable as XML ({error}).") from None

    def root(self) -> etree._Element:
        for event, element in self:
            if event == "start":
                return element
        self.raise_if_truncated()
        raise ImportFailed(f"{self.path}: not an XML file (no root element).")

    def item_started(self, line: int | None, label: str) -> None:
        """Remember where each item starts, so a parse error can be told against the item it spoiled."""
        if line is not None:
            self._item_lines.append(line)
            self._item_labels.append(label)

    def name_last_item(self, label: str) -> None:
        if self._item_labels:
            self._item_labels[-1] = label

    def raise_if_truncated(self) -> None:
        for error in self._events.error_log:
            if error.type_name in TRUNCATED or "Premature end of data" in error.message:
                raise ImportFailed(
                    f"{self.path}: the file ends too early (truncated at line {error.line}); nothing was imported."
                )
            if error.type_name == "ERR_DOCUMENT_EMPTY":
                raise ImportFailed(f"{self.path}: not an XML file ({error.message.strip()}).")

    def problems(self) -> list[str]:
        """What the parser had to recover from, each with its line and the item it was in."""
        self.raise_if_truncated()
        found = []
        for error in self._events.error_log:
            at = bisect.bisect_right(self._item_lines, error.line) - 1
            where = f"line {error.line}"
            if at >= 0:
                where += f", in {self._item_labels[at]} from line {self._item_lines[at]}"
            found.append(f"{where}: {error.message.strip()} (read what could be read)")
        return found


def release(element: etree._Element) -> None:
    """Free a finished element and the siblings before it: memory stays flat however long the file is."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
