"""Plain-text tables for what runs where."""

from __future__ import annotations

from collections.abc import Sequence

from kansoku import conventions as cv
from kansoku.stack.ports import client_url
from kansoku.stack.state import StackState


def render(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
        for row in (headers, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def stack_table(state: StackState) -> str:
    rows = []
    for comp in state.components.values():
        ports = ", ".join(f"{k}={state.ports[k]}" for k in comp.ports)
        rows.append([comp.name, comp.status, str(comp.pid or "-"), comp.url, ports, comp.log])
    body = render(["component", "status", "pid", "url", "ports", "log"], rows)
    uis = [
        f"  {name:<13} {client_url(state.bind_address, state.ports[key])}{path}"
        for key, name, path, _ in cv.UIS
        if key in state.ports
    ]
    web = "\n\nweb UIs:\n" + "\n".join(uis) if uis else ""
    return f"{body}{web}\n\nstack: {state.status}   data dir: {state.data_dir}"
