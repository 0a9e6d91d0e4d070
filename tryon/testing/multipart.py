"""Reading a ``multipart/form-data`` body into a recorded request's fields and files.

The fake parses the body itself (the stdlib ``email`` parser for part headers) rather than
through the HTTP client under test, so that a client's encoding mistakes show up.
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy

from .records import RecordedFile, RecordedRequest


def parse_into(request: RecordedRequest, content_type: str) -> None:
    """Fill ``request.fields`` and ``.files`` from a multipart body (best effort)."""
    boundary = multipart_boundary(content_type)
    if boundary is None:
        return
    parts = _split_multipart(request.body, boundary)
    if parts is None:
        request.error = "the multipart body is malformed"
        return
    seen: set[str] = set()
    for name, filename, part_type, content in parts:
        if name in seen:
            request.error = request.error or f"the field {name!r} is sent more than once"
        seen.add(name)
        if filename is not None:
            request.files[name] = RecordedFile(filename, part_type, content)
        else:
            request.fields[name] = content.decode("utf-8", errors="replace")


def multipart_boundary(content_type: str) -> str | None:
    """The boundary of a ``multipart/form-data`` content type; None for any other type."""
    message = email.message.Message()
    message["Content-Type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


def _split_multipart(
    body: bytes, boundary: str
) -> list[tuple[str, str | None, str | None, bytes]] | None:
    """``(name, filename, content type, content)`` per part; None when malformed."""
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 2 or not chunks[-1].startswith(b"--"):
        return None
    parts = []
    header_parser = email.parser.BytesHeaderParser(policy=email.policy.HTTP)
    for chunk in chunks[1:-1]:
        if not (chunk.startswith(b"\r\n") and chunk.endswith(b"\r\n")):
            return None
        head, separator, content = chunk[2:-2].partition(b"\r\n\r\n")
        if not separator:
            return None
        headers = header_parser.parsebytes(head + b"\r\n\r\n")
        if headers.get_content_disposition() != "form-data":
            return None
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            return None
        filename = headers.get_param("filename", header="content-disposition")
        part_type = headers.get("Content-Type")
        parts.append(
            (
                name,
                filename if isinstance(filename, str) else None,
                str(part_type) if part_type else None,
                content,
            )
        )
    return parts
