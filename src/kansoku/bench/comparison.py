"""kansoku's instrumentation cost as a ratio to the stock FastAPI instrumentation's.

A fixed target in microseconds says little on a machine whose speed moves with its load; a
ratio to the field's standard instrumentation, measured in the same run on the same machine,
does. Each figure compares two pairs: the shop backend uninstrumented and as shipped, and the
reference endpoint bare and with the stock instrumentation (``kansoku.bench.reference``).
What a pair "adds" is its instrumented figure minus its baseline; the ratio is ours over the
stock one, so 1.0 means kansoku's full telemetry costs what the stock spans cost, and below
1.0 is cheaper. Saturation runs go round by round (bare, stock, uninstrumented, instrumented,
then again), so drift over the run shows as rounds that disagree; the median is reported.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kansoku.bench.report import Row
from kansoku.services.telemetry_features import SHIPPED_OFF

TARGET_RATIO = 1.0  # goal: no more added CPU per request than the stock instrumentation
BARE, STOCK = "reference, bare", "reference, stock"
OFF, ON = "uninstrumented", "instrumented"
ORDER = (BARE, STOCK, OFF, ON)  # one round of saturation runs


@dataclass(frozen=True)
class Saturated:
    """One variant's saturation run: requests/s and the server's CPU per request."""

    rate: float
    cpu_us_per_request: float


def added(base: float, instrumented: float) -> float:
    return instrumented - base


def loss(base_rate: float, instrumented_rate: float) -> float:
    """Share of throughput lost to instrumentation (0.25 = a quarter fewer requests/s)."""
    return 1.0 - instrumented_rate / base_rate if base_rate > 0 else 0.0


def ratio(ours: float, stock: float) -> float | None:
    """``ours / stock``, or None when it means nothing.

    A stock figure that is not positive leaves nothing to compare with, and a negative one of
    ours says that the machine's load changed between the two runs (instrumentation does not
    make a service faster): such a round shows in the note, not in the median.
    """
    return ours / stock if stock > 0 and ours >= 0 else None


@dataclass(frozen=True)
class Round:
    """The four saturation runs of one round, and what they say."""

    number: int
    runs: Mapping[str, Saturated]

    def cpu_added(self, pair: tuple[str, str]) -> float:
        return added(self.runs[pair[0]].cpu_us_per_request, self.runs[pair[1]].cpu_us_per_request)

    def lost(self, pair: tuple[str, str]) -> float:
        return loss(self.runs[pair[0]].rate, self.runs[pair[1]].rate)

    @property
    def cpu_ratio(self) -> float | None:
        return ratio(self.cpu_added((OFF, ON)), self.cpu_added((BARE, STOCK)))

    @property
    def loss_ratio(self) -> float | None:
        return ratio(self.lost((OFF, ON)), self.lost((BARE, STOCK)))


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _ratio_row(metric: str, value: float | None, note: str) -> list[Row]:
    if value is None:
        return [Row(metric, 0.0, "x", note=f"no ratio: drift or nothing added ({note})")]
    return [Row(metric, value, "x", TARGET_RATIO, note=note)]


def round_rows(rounds: Sequence[Round]) -> list[Row]:
    """Per round: CPU added and throughput lost for both pairs, and the two ratios."""
    rows: list[Row] = []
    for r in rounds:
        n = f"round {r.number}"
        rows += [
            Row(f"{n}: stock added CPU per request", r.cpu_added((BARE, STOCK)), "us"),
            Row(f"{n}: kansoku added CPU per request", r.cpu_added((OFF, ON)), "us"),
            Row(f"{n}: stock throughput lost", 100 * r.lost((BARE, STOCK)), "%"),
            Row(f"{n}: kansoku throughput lost", 100 * r.lost((OFF, ON)), "%"),
        ]
    return rows


def summary_rows(rounds: Sequence[Round]) -> list[Row]:
    """The two ratios over all rounds (median), with the spread in the note."""
    rows: list[Row] = []
    for metric, values in (
        ("added CPU per request, kansoku / stock", [r.cpu_ratio for r in rounds]),
        ("throughput lost, kansoku / stock", [r.loss_ratio for r in rounds]),
    ):
        spread = ", ".join("-" if v is None else f"{v:.2f}" for v in values)
        rows += _ratio_row(metric, _median(values), f"median of {len(values)} rounds: {spread}")
    return rows


def instruction_rows(per_request: Mapping[str, float]) -> list[Row]:
    """Instructions per request of each variant counted, and the ratio they give."""
    rows = [Row(f"{v}: instructions per request", n, "instr") for v, n in per_request.items()]
    if all(v in per_request for v in ORDER):
        ours = added(per_request[OFF], per_request[ON])
        stock = added(per_request[BARE], per_request[STOCK])
        rows += [
            Row("stock added instructions per request", stock, "instr"),
            Row("kansoku added instructions per request", ours, "instr"),
            *_ratio_row(
                "added instructions per request, kansoku / stock",
                ratio(ours, stock),
                "callgrind; the load does not move it",
            ),
        ]
    return rows


def feature_cost(feature: str, full: float, switched: float) -> float:
    """Instructions per request a feature costs, from a run with it switched the other way.

    A feature that ships on was switched off (cost = as shipped minus without); one that ships
    off (``SHIPPED_OFF``) was switched on (cost = with it minus as shipped).
    """
    return switched - full if feature in SHIPPED_OFF else full - switched


def feature_rows(full: float, switched: Mapping[str, float]) -> list[Row]:
    """What each feature costs per request, as counted by callgrind."""
    return [
        Row(
            f"cost of {feature}",
            feature_cost(feature, full, n),
            "instr",
            note="shipped off: what switching it on adds" if feature in SHIPPED_OFF else "",
        )
        for feature, n in switched.items()
    ]
