"""What a file *is*, from its first bytes (magic numbers), never from its name.

``detect`` returns a short type id; ``EXTENSIONS`` says which real types a file name may claim, so an
executable named ``.png`` is a mismatch even before the allow-list refuses executables.
"""
from __future__ import annotations

import codecs

HEAD_BYTES = 64 * 1024

MIME = {"text": "text/plain", "json": "application/json", "csv": "text/csv", "evtx": "application/x-evtx",
        "pcap": "application/vnd.tcpdump.pcap", "pcapng": "application/x-pcapng", "png": "image/png",
        "jpeg": "image/jpeg", "gif": "image/gif", "pdf": "application/pdf", "zip": "application/zip",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ole": "application/x-ole-storage", "gzip": "application/gzip", "7z": "application/x-7z-compressed",
        "exe": "application/x-msdownload", "elf": "application/x-elf", "macho": "application/x-mach-binary",
        "script": "text/x-script", "binary": "application/octet-stream", "empty": "application/x-empty"}
DEFAULT_ALLOWED = ["text", "json", "csv", "evtx", "pcap", "pcapng", "png", "jpeg", "gif", "pdf", "zip", "docx",
                   "xlsx", "pptx", "ole", "gzip", "7z"]
_TEXTUAL = {"text", "json", "csv"}
EXTENSIONS = {
    "png": {"png"}, "jpg": {"jpeg"}, "jpeg": {"jpeg"}, "gif": {"gif"}, "pdf": {"pdf"}, "evtx": {"evtx"},
    "pcap": {"pcap", "pcapng"}, "pcapng": {"pcapng", "pcap"}, "cap": {"pcap", "pcapng"},
    "zip": {"zip", "docx", "xlsx", "pptx"}, "docx": {"docx"}, "xlsx": {"xlsx"}, "pptx": {"pptx"},
    "doc": {"ole"}, "xls": {"ole"}, "ppt": {"ole"}, "msg": {"ole"}, "gz": {"gzip"}, "tgz": {"gzip"}, "7z": {"7z"},
    "json": {"json", "text"}, "jsonl": _TEXTUAL, "ndjson": _TEXTUAL, "csv": {"csv", "text"}, "log": _TEXTUAL,
    "txt": _TEXTUAL, "syslog": _TEXTUAL, "eml": _TEXTUAL, "xml": {"text"}, "md": _TEXTUAL,
}

_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
    (b"%PDF-", "pdf"), (b"ElfFile\x00", "evtx"), (b"\xd4\xc3\xb2\xa1", "pcap"), (b"\xa1\xb2\xc3\xd4", "pcap"),
    (b"\x4d\x3c\xb2\xa1", "pcap"), (b"\xa1\xb2\x3c\x4d", "pcap"), (b"\x0a\x0d\x0d\x0a", "pcapng"),
    (b"\x1f\x8b", "gzip"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"MZ", "exe"), (b"\x7fELF", "elf"), (b"\xfe\xed\xfa\xce", "macho"), (b"\xfe\xed\xfa\xcf", "macho"),
    (b"\xce\xfa\xed\xfe", "macho"), (b"\xcf\xfa\xed\xfe", "macho"), (b"\xca\xfe\xba\xbe", "macho"),
    (b"#!", "script"),
]


def detect(head: bytes) -> str:
    if not head:
        return "empty"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(head)
    text = _as_text(head)
    if text is None:
        return "binary"
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        return "json"
    lines = [ln for ln in stripped.splitlines()[:5] if ln]
    if len(lines) >= 2 and all(ln.count(",") == lines[0].count(",") > 0 for ln in lines[:-1]):
        return "csv"
    return "text"


def _zip_kind(head: bytes) -> str:
    if b"[Content_Types].xml" in head:
        for marker, kind in ((b"word/", "docx"), (b"xl/", "xlsx"), (b"ppt/", "pptx")):
            if marker in head:
                return kind
    return "zip"


def _as_text(head: bytes) -> str | None:
    """Decode as UTF-8 (or UTF-16 with a BOM); None when the bytes are not text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return head.decode("utf-16", errors="strict")[:4096]
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    sample = head[:8192]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # a character cut at the end of the sample is fine
            return None
        text = sample[:exc.start].decode("utf-8")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f\x1b")
    return text if controls <= len(text) // 100 else None


EXECUTABLE_EXT = frozenset(("exe", "scr", "com", "bat", "cmd", "pif", "js", "jse", "vbs", "vbe", "wsf", "hta", "msi",
                            "ps1", "lnk", "jar", "cpl", "dll", "sh", "elf", "apk"))
EXECUTABLE_TYPES = frozenset(("exe", "elf", "macho", "script"))
DOCUMENT_EXT = frozenset(("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "csv", "jpg", "jpeg", "png", "gif",
                          "rtf", "odt", "ods", "zip", "log", "eml", "msg", "html", "htm"))


def name_mismatch(file_name: str, real_type: str) -> str | None:
    """Reason text when the name claims a type the content is not, or dresses an executable as a document
    (``report.pdf.exe``, which Windows shows as ``report.pdf``); None when they agree or the name says nothing."""
    parts = file_name.lower().rsplit(".", 2)
    if len(parts) == 3 and parts[1] in DOCUMENT_EXT and (parts[2] in EXECUTABLE_EXT or real_type in EXECUTABLE_TYPES):
        return (f"ejecutable con nombre de documento (.{parts[1]}.{parts[2]}) / an executable named as a document "
                f"(.{parts[1]}.{parts[2]})")
    ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    expected = EXTENSIONS.get(ext)
    if expected is None or real_type in expected:
        return None
    return f"el contenido es {real_type} pero el nombre dice .{ext} / content is {real_type} but the name says .{ext}"
