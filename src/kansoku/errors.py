"""The errors a kansoku user can act on.

KansokuError                 base; ``exit_code`` is what the CLI exits with
├── ConfigError              a config or spec file is wrong: names file, field, expectation (2)
├── ToolError                an upstream binary is missing, at the wrong version or failed
│   └── BuildError           building a binary failed: names the module and the step (3)
├── StackError               local mode could not start or stop (4)
│   ├── PortInUseError       a port is taken: names the port and the component
│   ├── ReadinessError       a component never became ready: shows its log tail
│   ├── NotRunningError      ``down``/``status``/``verify`` found no running stack
│   └── NodePreflightError   the machine lacks what a real node needs: names each thing
├── VerifyError              an end-to-end check failed (5)
└── ImageError               an image could not be assembled: names the image and the part (6)
"""

from __future__ import annotations


class KansokuError(Exception):
    """Base of every error kansoku raises on purpose."""

    exit_code = 1


class ConfigError(KansokuError):
    """A configuration or spec file is invalid."""

    exit_code = 2

    def __init__(self, file: str, field: str, expected: str) -> None:
        self.file = file
        self.field = field
        self.expected = expected
        super().__init__(f"{file}: {field}: {expected}")


class ToolError(KansokuError):
    """An upstream binary cannot be found or used."""

    exit_code = 3


class BuildError(ToolError):
    """Building an upstream binary failed at a named step."""

    def __init__(self, tool: str, module: str, step: str, detail: str) -> None:
        self.tool = tool
        self.module = module
        self.step = step
        self.detail = detail
        super().__init__(f"building {tool} failed at step '{step}' (module {module}):\n{detail}")


class StackError(KansokuError):
    """Local mode could not do what was asked."""

    exit_code = 4


class PortInUseError(StackError):
    """A port the stack needs is already taken."""

    def __init__(self, port: int, key: str, component: str) -> None:
        self.port = port
        self.key = key
        self.component = component
        super().__init__(
            f"port {port} ({key}) for {component} is already in use; "
            f"free it or choose another with --port {key}=N"
        )


class ReadinessError(StackError):
    """A component exited or never answered its readiness check."""


class NotRunningError(StackError):
    """No stack is running under the given data directory."""


class NodePreflightError(StackError):
    """The machine lacks what a node with real containers needs; nothing was changed."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        lines = "\n".join(f"  - {m}" for m in missing)
        super().__init__(
            f"this machine cannot run a node with real containers; it lacks:\n{lines}\n"
            "(nothing was changed)"
        )


class VerifyError(KansokuError):
    """One or more end-to-end checks failed."""

    exit_code = 5


class ImageError(KansokuError):
    """An image declaration is wrong or one of its parts could not be made."""

    exit_code = 6
