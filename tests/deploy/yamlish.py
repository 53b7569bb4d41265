"""Reads the YAML of deploy/ without PyYAML, which the project does not depend on.

A strict parser for the block-style subset the manifests are written in: mappings, sequences,
quoted and plain scalars, one-line flow sequences, `|`/`|-` block scalars, comments and `---`.
Anything outside it (anchors, aliases, tags, multi-line plain scalars, flow mappings) and every
plain scalar whose YAML 1.1 meaning surprises people (yes/no/on/off, 0644, 1:30, dates) is an
error naming the line, so a manifest that parses here means the same to every YAML reader.
When PyYAML is importable, `load_all` uses it and the tests compare both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")
_SURPRISING = (
    re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$"),  # YAML 1.1 booleans
    re.compile(r"^[-+]?0[0-9_]+$"),  # octal in YAML 1.1
    re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$"),  # sexagesimal: 1:30 == 90
    re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$"),  # timestamps become dates
    re.compile(r"^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$"),
    re.compile(r"^0[xXoObB]"),
)
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
          "FALSE": False}  # fmt: skip
_NULLS = {"", "~", "null", "Null", "NULL"}


class YamlSubsetError(ValueError):
    pass


@dataclass
class _Line:
    number: int
    indent: int
    text: str  # without indentation and comment


def _strip_comment(text: str) -> str:
    quote: str | None = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (i == 0 or text[i - 1] in " [,:-"):
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
    return text.rstrip()


def _split_key(text: str, number: int) -> tuple[str, str] | None:
    """`key: rest` → (key, rest); None when the line is not a mapping entry."""
    if text[0] in "\"'":
        end = text.find(text[0], 1)
        while text[0] == "'" and end != -1 and text[end : end + 2] == "''":
            end = text.find("'", end + 2)
        if end == -1:
            raise YamlSubsetError(f"line {number}: unterminated quoted key")
        if text[end + 1 : end + 2] != ":" or text[end + 2 : end + 3] not in ("", " "):
            return None
        return _scalar(text[: end + 1], number), text[end + 2 :].strip()
    match = re.match(r"^([^\s\"'#][^:]*?):( |$)", text)
    if match is None:
        return None
    return match.group(1), text[match.end() :].strip()


def _scalar(text: str, number: int) -> Any:
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"'):
            raise YamlSubsetError(f"line {number}: unterminated double-quoted scalar")
        try:
            return json.loads(text)  # JSON strings are the YAML escapes we use
        except json.JSONDecodeError as exc:
            raise YamlSubsetError(f"line {number}: {exc}") from None
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise YamlSubsetError(f"line {number}: unterminated single-quoted scalar")
        return text[1:-1].replace("''", "'")
    if text and text[0] in "&*!%@`|>?{":
        raise YamlSubsetError(f"line {number}: {text[0]!r} is outside the supported subset")
    if ": " in text or text.endswith(":"):
        raise YamlSubsetError(f"line {number}: quote a plain scalar that holds ': '")
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    for pattern in _SURPRISING:
        if pattern.match(text):
            raise YamlSubsetError(f"line {number}: quote {text!r} (YAML 1.1 reads it as non-text)")
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _flow_sequence(text: str, number: int) -> list[Any]:
    inner = text[1:-1].strip()
    if not inner:
        return []
    items: list[str] = []
    quote: str | None = None
    current = ""
    for ch in inner:
        if quote:
            current += ch
            if ch == quote:
                quote = None
        elif ch in "\"'" and not current.strip():
            quote = ch
            current += ch
        elif ch == ",":
            items.append(current.strip())
            current = ""
        elif ch in "[]{}":
            raise YamlSubsetError(f"line {number}: nested flow collections are not supported")
        else:
            current += ch
    items.append(current.strip())
    return [_scalar(item, number) for item in items]


def _value(text: str, number: int) -> Any:
    if text.startswith("["):
        if not text.endswith("]"):
            raise YamlSubsetError(f"line {number}: a flow sequence must end on its line")
        return _flow_sequence(text, number)
    if text == "{}":
        return {}
    if text.startswith("{"):
        raise YamlSubsetError(f"line {number}: flow mappings are not supported")
    return _scalar(text, number)


class _Parser:
    def __init__(self, raw: list[tuple[int, str]]) -> None:
        self.raw = raw  # (line number, text) of one document
        self.lines: list[_Line] = []
        for number, text in raw:
            if "\t" in text[: len(text) - len(text.lstrip())]:
                raise YamlSubsetError(f"line {number}: tab in indentation")
            stripped = _strip_comment(text)
            if stripped.strip():
                self.lines.append(
                    _Line(number, len(stripped) - len(stripped.lstrip()), stripped.strip())
                )
        self.pos = 0

    def parse(self) -> Any:
        if not self.lines:
            return None
        node = self.block(self.lines[0].indent)
        if self.pos < len(self.lines):
            line = self.lines[self.pos]
            raise YamlSubsetError(f"line {line.number}: unexpected indentation")
        return node

    def block(self, indent: int) -> Any:
        line = self.lines[self.pos]
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(indent)
        if _split_key(line.text, line.number) is None:
            if self.pos + 1 < len(self.lines) and self.lines[self.pos + 1].indent >= indent:
                raise YamlSubsetError(f"line {line.number}: multi-line plain scalars")
            self.pos += 1
            return _value(line.text, line.number)
        return self.mapping(indent)

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if line.indent != indent or not (line.text == "-" or line.text.startswith("- ")):
                if line.indent > indent:
                    raise YamlSubsetError(f"line {line.number}: unexpected indentation")
                break
            rest = line.text[1:].strip()
            if not rest:
                self.pos += 1
                items.append(self.nested(indent, line.number))
            elif rest.startswith("- "):
                raise YamlSubsetError(f"line {line.number}: write nested sequences on new lines")
            elif _split_key(rest, line.number) is not None:
                # `- key: value`: a mapping whose keys sit two columns right of the dash.
                self.lines[self.pos] = _Line(line.number, indent + 2, rest)
                items.append(self.mapping(indent + 2))
            else:
                items.append(self.inline_value(rest, line))
        return items

    def mapping(self, indent: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if line.indent != indent:
                if line.indent > indent:
                    raise YamlSubsetError(f"line {line.number}: unexpected indentation")
                break
            split = _split_key(line.text, line.number)
            if split is None:
                raise YamlSubsetError(f"line {line.number}: expected `key: value`")
            key, rest = split
            if key in result:
                raise YamlSubsetError(f"line {line.number}: duplicate key {key!r}")
            if rest:
                result[key] = self.inline_value(rest, line)
                continue
            self.pos += 1
            nxt = self.lines[self.pos] if self.pos < len(self.lines) else None
            if nxt is not None and nxt.indent == indent and nxt.text.startswith("- "):
                result[key] = self.sequence(indent)  # compact: `key:` then `- item` below it
            else:
                result[key] = self.nested(indent, line.number)
        return result

    def nested(self, indent: int, number: int) -> Any:
        if self.pos < len(self.lines) and self.lines[self.pos].indent > indent:
            return self.block(self.lines[self.pos].indent)
        return None

    def inline_value(self, rest: str, line: _Line) -> Any:
        if rest in ("|", "|-", ">", ">-"):
            return self.block_scalar(rest, line)
        self.pos += 1
        if self.pos < len(self.lines) and self.lines[self.pos].indent > line.indent:
            nxt = self.lines[self.pos]
            raise YamlSubsetError(f"line {nxt.number}: multi-line plain scalars are not supported")
        return _value(rest, line.number)

    def block_scalar(self, style: str, line: _Line) -> str:
        # Block scalars keep blank lines and `#`, so they are read from the raw lines.
        self.pos += 1
        start = next(i for i, (n, _) in enumerate(self.raw) if n == line.number) + 1
        body: list[str] = []
        content_indent: int | None = None
        end_number = None
        for number, text in self.raw[start:]:
            if text.strip() == "":
                body.append("")
                continue
            indent = len(text) - len(text.lstrip())
            if indent <= line.indent:
                end_number = number
                break
            content_indent = indent if content_indent is None else content_indent
            if indent < content_indent:
                raise YamlSubsetError(f"line {number}: block scalar less indented than its start")
            body.append(text[content_indent:])
        while self.pos < len(self.lines) and (
            end_number is None or self.lines[self.pos].number < end_number
        ):
            self.pos += 1
        while body and body[-1] == "":
            body.pop()
        if style.startswith(">"):
            raise YamlSubsetError(f"line {line.number}: folded scalars are not supported")
        text = "\n".join(body)
        return text if style.endswith("-") else text + "\n"


def parse_all(text: str) -> list[Any]:
    """Every document of a YAML stream in the supported subset."""
    documents: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(text.splitlines(), start=1):
        if line.rstrip() == "---":
            documents.append([])
        elif line.startswith("..."):
            raise YamlSubsetError(f"line {number}: document end markers are not supported")
        else:
            documents[-1].append((number, line))
    parsed = [_Parser(doc).parse() for doc in documents]
    return [d for d in parsed if d is not None]


def load_all(path: Path) -> list[Any]:
    """The documents of a YAML file; every file is held to the subset, PyYAML or not."""
    text = path.read_text(encoding="utf-8")
    try:
        documents = parse_all(text)
    except YamlSubsetError as exc:
        raise YamlSubsetError(f"{path}: {exc}") from None
    return documents
