"""Typed reads from parsed YAML that fail with the file, the field and what was expected."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from kansoku.errors import ConfigError
from kansoku.slo.spec import Matcher, parse_duration

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class Fields:
    """Reads values out of one document; every failure names ``file`` and the field path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, field: str, expected: str) -> NoReturn:
        raise ConfigError(self.file, field, expected)

    def mapping(self, value: Any, field: str, known: Iterable[str]) -> dict[str, Any]:
        """A mapping whose keys are all in ``known``."""
        allowed = tuple(known)
        if not isinstance(value, dict):
            self.fail(field, f"a mapping with the fields {', '.join(allowed)}")
        for key in value:
            if key not in allowed:
                where = f"{field}.{key}" if field else str(key)
                self.fail(where, f"no such field; expected one of {', '.join(allowed)}")
        return value

    def require(self, data: dict[str, Any], key: str, field: str) -> Any:
        if key not in data or data[key] is None:
            self.fail(_join(field, key), "a value (the field is required)")
        return data[key]

    def string(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value:
            self.fail(field, "a non-empty string")
        return value

    def name(self, value: Any, field: str) -> str:
        text = self.string(value, field)
        if not _NAME.match(text):
            self.fail(field, f"a lower-case name of letters, digits and dashes, not {text!r}")
        return text

    def number(self, value: Any, field: str) -> Decimal:
        """A YAML int or float as an exact decimal (``99.9`` stays ``99.9``)."""
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(field, f"a number, not {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(field, f"a number, not {value!r}")
        if not number.is_finite():
            self.fail(field, f"a finite number, not {value!r}")
        return number

    def duration(self, value: Any, field: str) -> int:
        minutes = parse_duration(value) if isinstance(value, str) else None
        if minutes is None:
            self.fail(field, f"a duration such as 5m, 6h or 30d, not {value!r}")
        return minutes

    def flag(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            self.fail(field, f"true or false, not {value!r}")
        return value

    def labels(
        self, value: Any, field: str, reserved: Iterable[str]
    ) -> tuple[tuple[str, str], ...]:
        """Extra labels: a mapping of label name to string value, none of them ``reserved``."""
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.fail(field, "a mapping of label names to string values")
        taken = set(reserved)
        for key, item in value.items():
            if not isinstance(key, str) or not _LABEL.match(key) or key in taken:
                self.fail(
                    f"{field}.{key}",
                    f"a label name matching {_LABEL.pattern} and not one "
                    f"of kansoku's own ({', '.join(sorted(taken))})",
                )
            self.string(item, f"{field}.{key}")
        return tuple(sorted(value.items()))

    def matchers(self, value: Any, field: str) -> tuple[Matcher, ...]:
        """A list of PromQL matchers such as ``http_route!="/healthz"``."""
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(field, 'a list of label matchers such as http_route!="/healthz"')
        return tuple(self.matcher(item, f"{field}[{i}]") for i, item in enumerate(value))

    def matcher(self, value: Any, field: str) -> Matcher:
        match = _MATCHER.match(value) if isinstance(value, str) else None
        if match is None:
            self.fail(field, f'a label matcher such as status=~"5..", not {value!r}')
        raw = re.sub(r"\\(.)", r"\1", match.group(3))
        return Matcher(match.group(1), match.group(2), raw)


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key
