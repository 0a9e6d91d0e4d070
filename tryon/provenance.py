"""Machine-readable provenance for stored pictures: IPTC digital source type in XMP.

The EU AI Act asks that AI-generated images be marked in a machine-readable way. Every
provider result is stored with an XMP packet naming the IPTC digital source type
``trainedAlgorithmicMedia``; offline previews, which are Pillow composites of two
photographs, are marked ``compositeCapture`` instead.

The packet is spliced into the file's own container (a JPEG APP1 segment, a PNG ``iTXt``
chunk, a WebP ``XMP `` chunk), so the pixels are never decoded or re-encoded: the
picture the provider made is the picture the shop stores. An XMP packet already in the
file is replaced, never kept beside ours.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from typing import Final
from xml.sax.saxutils import escape

from PIL import Image

import tryon

from .exceptions import InvalidImageError

IPTC_SOURCE_TYPES: Final = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA: Final = IPTC_SOURCE_TYPES + "trainedAlgorithmicMedia"
COMPOSITE_CAPTURE: Final = IPTC_SOURCE_TYPES + "compositeCapture"

_JPEG_XMP_HEADER: Final = b"http://ns.adobe.com/xap/1.0/\x00"
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PNG_XMP_KEYWORD: Final = b"XML:com.adobe.xmp"
_WEBP_XMP_FLAG: Final = 0x04
_WEBP_ALPHA_FLAG: Final = 0x10
_SOURCE_TYPE_RE: Final = re.compile(rb"DigitalSourceType>\s*([^<\s]+)\s*<")


def xmp_packet(source_type: str, description: str) -> bytes:
    """An XMP packet with the IPTC digital source type, the tool and a description."""
    tool = f"django-tryon {tryon.__version__}"
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f"   <Iptc4xmpExt:DigitalSourceType>{escape(source_type)}"
        "</Iptc4xmpExt:DigitalSourceType>\n"
        f"   <xmp:CreatorTool>{escape(tool)}</xmp:CreatorTool>\n"
        "   <dc:description><rdf:Alt>"
        f'<rdf:li xml:lang="x-default">{escape(description)}</rdf:li>'
        "</rdf:Alt></dc:description>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    ).encode()


def mark(content: bytes, source_type: str, description: str) -> bytes:
    """``content`` with an XMP packet naming ``source_type`` (JPEG, PNG or WebP)."""
    packet = xmp_packet(source_type, description)
    if content.startswith(b"\xff\xd8"):
        return _mark_jpeg(content, packet)
    if content.startswith(_PNG_SIGNATURE):
        return _mark_png(content, packet)
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return _mark_webp(content, packet)
    raise InvalidImageError("Only JPEG, PNG and WebP pictures can carry provenance here.")


def digital_source_type(content: bytes) -> str | None:
    """The IPTC digital source type recorded in the file's XMP, as Pillow reads it."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            info = image.info
            xmp = info.get("xmp") or info.get(_PNG_XMP_KEYWORD.decode())
    except (OSError, ValueError):
        return None
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    match = _SOURCE_TYPE_RE.search(xmp or b"")
    return match.group(1).decode("utf-8") if match else None


def _mark_jpeg(content: bytes, packet: bytes) -> bytes:
    segment_data = _JPEG_XMP_HEADER + packet
    if len(segment_data) + 2 > 0xFFFF:
        raise InvalidImageError("The XMP packet is too long for one JPEG segment.")
    ours = b"\xff\xe1" + struct.pack(">H", len(segment_data) + 2) + segment_data
    kept: list[bytes] = []
    position = 2
    inserted = False
    while position + 4 <= len(content):
        if content[position] != 0xFF:
            raise InvalidImageError("The JPEG's segments are damaged.")
        marker = content[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            break
        (length,) = struct.unpack(">H", content[position + 2 : position + 4])
        segment = content[position : position + 2 + length]
        is_xmp = marker == 0xE1 and segment[4:].startswith(_JPEG_XMP_HEADER)
        if not inserted and marker not in (0xE0,):  # after JFIF's APP0, before the rest
            kept.append(ours)
            inserted = True
        if not is_xmp:
            kept.append(segment)
        position += 2 + length
    else:
        raise InvalidImageError("The JPEG ends before its picture data.")
    if not inserted:
        kept.append(ours)
    return content[:2] + b"".join(kept) + content[position:]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _mark_png(content: bytes, packet: bytes) -> bytes:
    ours = _png_chunk(b"iTXt", _PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + packet)
    out = [_PNG_SIGNATURE]
    position = len(_PNG_SIGNATURE)
    inserted = False
    while position + 8 <= len(content):
        (length,) = struct.unpack(">I", content[position : position + 4])
        kind = content[position + 4 : position + 8]
        chunk = content[position : position + 12 + length]
        if len(chunk) != 12 + length:
            raise InvalidImageError("The PNG ends inside a chunk.")
        if kind == b"IDAT" and not inserted:
            out.append(ours)
            inserted = True
        is_xmp = kind == b"iTXt" and chunk[8:].startswith(_PNG_XMP_KEYWORD + b"\x00")
        if not is_xmp:
            out.append(chunk)
        position += 12 + length
        if kind == b"IEND":
            break
    if not inserted:
        raise InvalidImageError("The PNG has no picture data.")
    return b"".join(out)


def _webp_chunks(content: bytes) -> list[tuple[bytes, bytes]]:
    chunks = []
    position = 12
    while position + 8 <= len(content):
        kind = content[position : position + 4]
        (length,) = struct.unpack("<I", content[position + 4 : position + 8])
        data = content[position + 8 : position + 8 + length]
        if len(data) != length:
            raise InvalidImageError("The WebP ends inside a chunk.")
        chunks.append((kind, data))
        position += 8 + length + (length & 1)
    return chunks


def _mark_webp(content: bytes, packet: bytes) -> bytes:
    chunks = [(kind, data) for kind, data in _webp_chunks(content) if kind != b"XMP "]
    if not chunks:
        raise InvalidImageError("The WebP has no picture data.")
    if chunks[0][0] == b"VP8X":
        extended = bytearray(chunks[0][1])
        extended[0] |= _WEBP_XMP_FLAG
        chunks[0] = (b"VP8X", bytes(extended))
    else:  # simple format: the extended header is needed to carry metadata
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            has_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
        flags = _WEBP_XMP_FLAG | (_WEBP_ALPHA_FLAG if has_alpha else 0)
        header = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little")
        chunks.insert(0, (b"VP8X", header + (height - 1).to_bytes(3, "little")))
    chunks.append((b"XMP ", packet))
    body = b"".join(
        kind + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) & 1 else b"")
        for kind, data in chunks
    )
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
