"""The traffic chart: ``journal.traffic`` turned into stacked SVG bars, drawn server-side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WIDTH = 600
HEIGHT = 80


@dataclass
class Bar:
    """One rectangle: a status class's share of one second."""

    x: float
    y: float
    width: float
    height: float
    status_class: str
    count: int
    second: int


@dataclass
class Chart:
    """What the template draws, with the totals it labels."""

    width: int
    height: int
    seconds: int
    peak: int
    bars: list[Bar] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)


def stacked(traffic: dict[str, Any], width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """Bars per second, status classes stacked bottom-up in the order ``traffic`` lists them."""
    buckets = traffic["buckets"]
    seconds = traffic["seconds"]
    peak = max((sum(bucket.values()) for bucket in buckets), default=0)
    scale = height / max(peak, 1)
    step = width / seconds
    chart = Chart(width, height, seconds, peak, totals=dict.fromkeys(traffic["classes"], 0))
    for index, bucket in enumerate(buckets):
        top = float(height)
        for status_class in traffic["classes"]:
            count = bucket[status_class]
            if not count:
                continue
            chart.totals[status_class] += count
            top -= count * scale
            chart.bars.append(
                Bar(
                    x=round(index * step, 2),
                    y=round(top, 2),
                    width=round(max(step - 0.4, 0.6), 2),
                    height=round(count * scale, 2),
                    status_class=status_class,
                    count=count,
                    second=index - seconds + 1,
                )
            )
    return chart
