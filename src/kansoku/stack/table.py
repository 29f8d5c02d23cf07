"""Plain-text tables for what runs where."""

from __future__ import annotations

from collections.abc import Sequence

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
    return f"{body}\n\nstack: {state.status}   data dir: {state.data_dir}"
