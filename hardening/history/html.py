"""trends.html: one self-contained page (no request of any kind, like report.html) with
inline SVG charts of open findings by severity and new against fixed per pipeline, the gate
calibration table, time to fix, flapping and noisy rules and scanner drift.

It reads trends.json's content only.  Everything is rendered by Jinja2 with autoescape; the
page has no script, and a Content-Security-Policy allows only its one style (by hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hardening.history.source import SEVERITIES
from hardening.render.html import content_security_policy, load_template

TEMPLATE = "trends.html.j2"
_WIDTH = 760
_HEIGHT = 220
_LEFT = 44
_BOTTOM = 24
_TOP = 12


@dataclass(frozen=True)
class _Line:
    severity: str
    points: str
    last: int


@dataclass(frozen=True)
class _Bar:
    x: float
    width: float
    y: float
    height: float
    kind: str  # new or fixed
    title: str


def render(trends: dict[str, Any]) -> str:
    pipelines = trends["pipelines"]
    return load_template(TEMPLATE, keep_trailing_newline=False).render(
        t=trends,
        severities=SEVERITIES,
        open_chart=_open_chart(pipelines),
        flow_chart=_flow_chart(pipelines),
        width=_WIDTH,
        height=_HEIGHT,
        left=_LEFT,
        top=_TOP,
        bottom=_HEIGHT - _BOTTOM,
        csp=content_security_policy,
    )


def _x(index: int, count: int) -> float:
    span = _WIDTH - _LEFT - 10
    return round(_LEFT + (span * index / (count - 1) if count > 1 else span / 2), 1)


def _y(value: float, largest: float) -> float:
    span = _HEIGHT - _BOTTOM - _TOP
    return round(_HEIGHT - _BOTTOM - span * value / largest, 1) if largest else _HEIGHT - _BOTTOM


def _open_chart(pipelines: list[dict[str, Any]]) -> dict[str, Any]:
    count = len(pipelines)
    largest = max((p["open"].get(s, 0) for p in pipelines for s in SEVERITIES), default=0)
    lines = []
    for severity in SEVERITIES:
        values = [int(p["open"].get(severity, 0)) for p in pipelines]
        if not any(values):
            continue
        points = " ".join(f"{_x(i, count)},{_y(v, largest)}" for i, v in enumerate(values))
        lines.append(_Line(severity, points, values[-1]))
    return {"lines": lines, "largest": largest, "ticks": _ticks(largest)}


def _flow_chart(pipelines: list[dict[str, Any]]) -> dict[str, Any]:
    count = len(pipelines)
    largest = max((max(p["new"], p["fixed"]) for p in pipelines), default=0)
    slot = (_WIDTH - _LEFT - 10) / max(count, 1)
    width = max(1.0, slot / 2 - 1)
    bars = []
    for i, p in enumerate(pipelines):
        x = _LEFT + i * slot
        for offset, kind in ((0.0, "new"), (width, "fixed")):
            value = p[kind]
            if not value:
                continue
            y = _y(value, largest)
            bars.append(
                _Bar(
                    round(x + offset, 1),
                    round(width, 1),
                    y,
                    round(_HEIGHT - _BOTTOM - y, 1),
                    kind,
                    f"pipeline {p['pipeline']}: {value} {kind}",
                )
            )
    return {"bars": bars, "largest": largest, "ticks": _ticks(largest)}


def _ticks(largest: int) -> list[tuple[int, float]]:
    if largest <= 0:
        return [(0, float(_HEIGHT - _BOTTOM))]
    return [(value, _y(value, largest)) for value in sorted({0, largest // 2, largest})]
