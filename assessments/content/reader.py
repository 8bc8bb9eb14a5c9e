"""Reading content files: issues that name the file and the field, and a validating reader.

Every problem becomes a ContentIssue; the loader collects all of them so an author fixes a whole
batch at once, and the sync writes nothing unless the list is empty.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KINDS = ("coding", "design", "live", "written")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class ContentIssue:
    path: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"field '{self.field}': " if self.field else ""
        return f"{self.path}: {where}{self.message}"


class ContentError(Exception):
    def __init__(self, issues: list[ContentIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def sha256(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class Reader:
    """Validation helpers that record issues against one file instead of raising."""

    def __init__(self, issues: list[ContentIssue], path: str):
        self.issues = issues
        self.path = path

    def error(self, fieldname: str | None, message: str) -> None:
        self.issues.append(ContentIssue(self.path, fieldname, message))

    def mapping(self, data: Any, name: str | None, *, required: set[str], optional: set[str] = frozenset()) -> dict:
        if not isinstance(data, dict):
            self.error(name, f"must be a mapping (got {type(data).__name__})")
            return {}
        prefix = f"{name}." if name else ""
        for key in sorted(required - data.keys()):
            self.error(f"{prefix}{key}", "is required")
        for key in sorted(set(data) - required - optional, key=str):
            self.error(f"{prefix}{key}", "is not a known field (typo?)")
        return data

    def text(self, data: dict, key: str, name: str, *, max_len: int = 10_000, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(name, "must be a non-empty string")
            return ""
        if len(value) > max_len:
            self.error(name, f"is too long ({len(value)} characters, at most {max_len})")
        return value.strip()

    def integer(self, data: dict, key: str, name: str, lo: int, hi: int) -> int:
        value = data.get(key)
        if value is None:
            return lo
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, f"must be a whole number (got {value!r})")
            return lo
        if not lo <= value <= hi:
            self.error(name, f"must be between {lo} and {hi} (got {value})")
        return value

    def number(self, data: dict, key: str, name: str, lo: float, hi: float, default: float) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(name, f"must be a number (got {value!r})")
            return default
        if not lo <= value <= hi:
            self.error(name, f"must be between {lo} and {hi} (got {value})")
        return float(value)

    def slug(self, value: Any, name: str) -> str:
        if not isinstance(value, str) or not SLUG_RE.match(value):
            self.error(name, f"must be a lowercase slug like 'ctc-greedy-decode' (got {value!r})")
            return ""
        return value

    def string_list(self, data: dict, key: str, name: str, *, min_items: int = 0) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(name, "must be a list of non-empty strings")
            return []
        if len(value) < min_items:
            self.error(name, f"needs at least {min_items} item(s) (got {len(value)})")
        return [v.strip() for v in value]


def rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def load_yaml(path: Path, root: Path, issues: list[ContentIssue]) -> tuple[Any, bytes] | None:
    where = rel(path, root)
    if path.is_symlink():
        issues.append(ContentIssue(where, None, "symbolic links are not allowed in content"))
        return None
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        issues.append(ContentIssue(where, None, "is not valid UTF-8 text"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        issues.append(ContentIssue(where, None, f"is not valid YAML{at}: {problem}"))
        return None
    if not isinstance(data, dict):
        issues.append(ContentIssue(where, None, f"must hold a mapping at the top level (got {type(data).__name__})"))
        return None
    return data, raw
