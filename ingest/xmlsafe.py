"""Every XML document (GPX, KML, XMP in photos) is parsed through defusedxml, here.

Entity declarations (the "billion laughs" expansion attack) and external references are refused
before anything is expanded, with a message that says so; no other module parses XML itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DET
from django.utils.translation import gettext as _

from .report import IngestError


def _refused(exc: Exception) -> IngestError:
    return IngestError(
        _(
            "The XML declares entities or external references (%(what)s). This is refused because it is "
            "how XML entity-expansion ('billion laughs') attacks work. Export the file again without a "
            "DOCTYPE/ENTITY section."
        )
        % {"what": type(exc).__name__},
        code="unsafe_xml",
    )


def _broken(exc: Exception) -> IngestError:
    return IngestError(
        _("The XML is not well-formed (%(reason)s). The file may be cut short or damaged; export it again.")
        % {"reason": exc},
        code="damaged_file",
    )


def iterparse(
    source: str | Path | IO[bytes], events: tuple[str, ...] = ("end",)
) -> Iterator[tuple[str, Any]]:
    """``ElementTree.iterparse`` through defusedxml, with errors turned into IngestError."""
    try:
        yield from DET.iterparse(source, events=events, forbid_dtd=False, forbid_entities=True)
    except DefusedXmlException as exc:
        raise _refused(exc) from exc
    except DET.ParseError as exc:
        raise _broken(exc) from exc


def iterparse_screened(path: str | Path, events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, Any]]:
    """For big files (a million GPX points): defusedxml screens the prolog, the C parser reads the rest.

    XML allows entity and DTD declarations only before the root element, and ``root_tag`` reads
    everything up to the root element through defusedxml, refusing any entity declaration or
    external reference. A document that passes has no entity that could expand, so the body can be
    read by the stdlib's C-accelerated parser (defusedxml's pure-Python one is ~1.5x slower), which
    also never loads external DTDs and carries expat's own amplification limits.
    """
    root_tag(path)
    try:
        yield from ElementTree.iterparse(path, events=events)
    except ElementTree.ParseError as exc:
        raise _broken(exc) from exc


def fromstring(text: bytes | str) -> Any:
    try:
        return DET.fromstring(text, forbid_dtd=False, forbid_entities=True)
    except DefusedXmlException as exc:
        raise _refused(exc) from exc
    except DET.ParseError as exc:
        raise _broken(exc) from exc


def root_tag(path: str | Path) -> str | None:
    """The root element's tag ('{namespace}name'), or None if the document is not well-formed.

    Raises IngestError for entity declarations: they come before the root element, so a bomb is
    refused here without being expanded.
    """
    try:
        for _event, element in iterparse(path, events=("start",)):
            return element.tag
    except IngestError as exc:
        if exc.code == "unsafe_xml":
            raise
        return None
    return None


def local(tag: str) -> str:
    """'{http://www.topografix.com/GPX/1/1}trkpt' -> 'trkpt'."""
    return tag.rsplit("}", 1)[-1]
