"""Charts: Altair specs rendered offline by vl-convert (SVG for HTML, PNG for PDF and DOCX).

Chart data must already be disclosure-controlled: suppressed values are passed as None and drawn
as gaps.
"""

from __future__ import annotations

import base64
from functools import lru_cache

import altair as alt
import pandas as pd
import vl_convert as vlc

from vru.analysis.trends import DAY_NAMES
from vru.settings import Report

WIDTH = 560
HEIGHT = 220
# The house colours (the settings' defaults); a workspace's [report] colours replace them.
COLOUR = Report.colour
ACCENT = Report.accent_colour


def _spec(chart: alt.TopLevelMixin) -> dict:
    spec = chart.to_dict()
    spec.pop("$schema", None)  # a URL; nothing is fetched, but keep the spec free of links
    return spec


def monthly_chart(df: pd.DataFrame, title: str) -> dict:
    """Bars of the monthly count with the 12-month rolling mean as a line.

    ``df`` has columns month (datetime), count (None when suppressed), rolling_mean_12.
    """
    data = df[["month", "count", "rolling_mean_12"]].copy()
    data["month"] = pd.to_datetime(data["month"]).dt.strftime("%Y-%m-01")
    base = alt.Chart(data).encode(x=alt.X("month:T", title=None,
                                          axis=alt.Axis(format="%b %Y", labelAngle=-45)))
    bars = base.mark_bar(color=COLOUR, opacity=0.75).encode(
        y=alt.Y("count:Q", title="Offences per month"))
    line = base.mark_line(color=ACCENT, strokeWidth=2.5).encode(
        y=alt.Y("rolling_mean_12:Q"))
    chart = alt.layer(bars, line).properties(width=WIDTH, height=HEIGHT, title=title)
    return _spec(chart)


def bar_chart(labels: list[str], values: list[float | None], title: str, x_title: str,
              y_title: str, sort: bool = False) -> dict:
    data = pd.DataFrame({"label": labels, "value": values})
    order = list(data.sort_values("value", ascending=False)["label"]) if sort else labels
    chart = alt.Chart(data).mark_bar(color=COLOUR).encode(
        x=alt.X("label:N", sort=order, title=x_title, axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("value:Q", title=y_title),
    ).properties(width=WIDTH, height=HEIGHT, title=title)
    return _spec(chart)


def rate_chart(labels: list[str], rates: list[float | None], lowers: list[float | None],
               uppers: list[float | None], benchmark: float | None, title: str) -> dict:
    """Rates with 95% confidence intervals as error bars, and the benchmark as a rule."""
    data = pd.DataFrame({"label": labels, "rate": rates, "lower": lowers, "upper": uppers})
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=labels, title=None))
    points = base.mark_point(filled=True, color=COLOUR, size=60).encode(
        x=alt.X("rate:Q", title="Rate per 1,000 residents"))
    bars = base.mark_rule(color=COLOUR).encode(x="lower:Q", x2="upper:Q")
    layers = [bars, points]
    if benchmark is not None:
        rule = alt.Chart(pd.DataFrame({"b": [benchmark]})).mark_rule(
            color=ACCENT, strokeDash=[4, 3]).encode(x="b:Q")
        layers.append(rule)
    chart = alt.layer(*layers).properties(width=WIDTH - 120, height=max(60, 22 * len(labels)),
                                          title=title)
    return _spec(chart)


SUPPRESSED_GREY = "#bdbdbd"  # suppressed cells: neutral grey, never a colour of the scale


def heatmap(grid, title: str, suppressed_label: str = "Suppressed (small number)") -> dict:
    """Day of week x hour of day; ``grid`` is 7 x 24 with None where suppressed.

    Every hour 0-23 is on the axis whether or not it holds offences; zeros are the lightest
    colour of the scale and suppressed cells neutral grey, with their own legend entry."""
    rows = [{"day": DAY_NAMES[d], "hour": h, "count": grid[d][h],
             "status": suppressed_label if grid[d][h] is None else "shown"}
            for d in range(7) for h in range(24)]
    base = alt.Chart(pd.DataFrame(rows)).encode(
        x=alt.X("hour:O", title="Hour of day", scale=alt.Scale(domain=list(range(24))),
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("day:N", sort=list(DAY_NAMES), title=None, scale=alt.Scale(domain=list(DAY_NAMES))))
    counts = base.mark_rect().encode(
        color=alt.Color("count:Q", title="Offences",
                        scale=alt.Scale(scheme="blues", domainMin=0))
    ).transform_filter("datum.count !== null")
    layers = [counts]
    if any(r["count"] is None for r in rows):
        layers.append(base.mark_rect().encode(
            color=alt.Color("status:N", title=None,
                            scale=alt.Scale(domain=[suppressed_label], range=[SUPPRESSED_GREY]))
        ).transform_filter("datum.count === null"))
    chart = alt.layer(*layers).resolve_scale(color="independent").properties(
        width=WIDTH - 60, height=170, title=title)
    return _spec(chart)


def themed(spec: dict, brand) -> dict:
    """The chart in the partnership's colours and font (``vru.reports.brand.Brand``): the
    specs are built in the house colours, which stand for "main" and "accent"."""
    if (brand.colour, brand.accent, brand.font) == (COLOUR, ACCENT, Report.font):
        return spec
    import json

    text = json.dumps(spec).replace(COLOUR, brand.colour).replace(ACCENT, brand.accent)
    out = json.loads(text)
    out.setdefault("config", {})["font"] = brand.first_font
    return out


@lru_cache(maxsize=256)
def _svg_cached(key: str) -> str:
    import json

    return vlc.vegalite_to_svg(json.loads(key))


def to_svg(spec: dict) -> str:
    import json

    return _svg_cached(json.dumps(spec, sort_keys=True, default=str))


def to_png(spec: dict, scale: float = 2.0) -> bytes:
    """PNG through the cached SVG: each chart is laid out by Vega once per process, however
    many formats are rendered."""
    return svg_to_png(to_svg(spec), scale)


@lru_cache(maxsize=256)
def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    return vlc.svg_to_png(svg, scale=scale)


def data_uri(data: bytes | str, mime: str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"
