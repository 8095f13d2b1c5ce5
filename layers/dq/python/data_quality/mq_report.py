"""report.html of a model-quality run: what Studio's "Model quality" charts showed, readable offline in any browser.

One page, no script, no network fetch (the data-quality report's Content-Security-Policy forbids both): every
constrained metric against its threshold (a gauge per metric: this run's value, the violating side shaded, the
baseline's value marked), then the problem type's pictures beside the baseline's: for classification the confusion
matrix, for binary classification the ROC and precision-recall curves (inline SVG), for regression the error
metrics. Monitor names come from configuration and class labels from whoever writes capture or ground truth:
every one is escaped, and a baseline file that is not what ``make baseline`` writes leaves its column empty.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from data_quality import model_quality as mq
from data_quality.report_html import BASELINE_COLOUR, CURRENT_COLOUR, page_head
from data_quality.storage import S3Files, StorageAccessError
from model_governance.monitoring.mq_monitors import ModelQualityMonitor

MAX_CLASSES = 20  # a confusion matrix shows the classes with the most rows; the page says how many it left out
MAX_POINTS = 2 * mq.CURVE_POINTS  # a curve from a baseline file is thinned to this many points
LABEL_CHARS = 24  # longer class labels are cut on the page (the full label, up to TITLE_CHARS, is its tooltip)
TITLE_CHARS = 200
GAUGE_WIDTH, GAUGE_HEIGHT, GAUGE_PAD = 240, 30, 8
CURVE_SIZE, CURVE_PAD = 340, 48  # square chart; the plot is CURVE_SIZE - 2 * CURVE_PAD on a side
THRESHOLD_COLOUR, VIOLATING_SHADE = "#b3261e", "#fbd9d3"
CURVES = (  # statistics key, chart title, x (key, axis), y (key, axis), reference line
    ("receiver_operating_characteristic_curve", "ROC curve", ("false_positive_rates", "false positive rate"),
     ("true_positive_rates", "true positive rate"), "chance"),
    ("precision_recall_curve", "Precision-recall curve", ("recalls", "recall"), ("precisions", "precision"),
     "always positive"),
)  # fmt: skip

Point = tuple[float, float]


def baseline_section(files: S3Files, monitor: ModelQualityMonitor) -> dict[str, Any] | None:
    """The baseline's statistics.json section of the monitor's problem type, or None (not there, unreadable, or
    not this problem type's): the page is then drawn without the baseline's values."""
    try:
        raw = files.read(f"{monitor.baseline_prefix}/statistics.json")
        document = json.loads(raw) if raw is not None else None
    except (StorageAccessError, ValueError, RecursionError):
        return None
    section = document.get(mq.SECTION.get(monitor.problem_type, "")) if isinstance(document, dict) else None
    return section if isinstance(section, dict) else None


def render_page(
    monitor: ModelQualityMonitor,
    label: str,
    section: dict[str, Any],
    constraints: dict[str, tuple[float, str]],
    violations: list[mq.MetricViolation],
    *,
    baseline: Mapping[str, Any] | None = None,
) -> str:
    """report.html of one run: ``section`` is the run's statistics.json section, ``baseline`` the baseline's."""
    reference: Mapping[str, Any] = baseline or {}
    broken = {v.metric_name for v in violations}
    rows = [
        _constraint_row(name, section.get(name), threshold, operator, reference.get(name), name in broken)
        for name, (threshold, operator) in constraints.items()
    ]
    title = escape(f"{monitor.name} on endpoint {monitor.endpoint}")
    if baseline is None:
        source = f"No baseline statistics.json readable under {monitor.baseline_prefix}: baseline values not shown."
    else:
        source = f"Baseline values from {monitor.baseline_prefix}/statistics.json."
    return _PAGE.format(
        head=page_head(f"Model quality: {monitor.name} on endpoint {monitor.endpoint}"),
        title=title,
        summary=escape(
            f"{monitor.problem_type}, {label}: {len(violations)} of {len(constraints)} metrics in violation."
        ),
        source=escape(source),
        rows="\n".join(rows) or "<tr><td colspan=6>The baseline constrains no metric.</td></tr>",
        pictures=_pictures(monitor.problem_type, section, baseline),
        metrics=_metrics_table(monitor.problem_type, section, reference, constraints),
        baseline=BASELINE_COLOUR,
        current=CURRENT_COLOUR,
        threshold=THRESHOLD_COLOUR,
        shade=VIOLATING_SHADE,
    )


# -- numbers read from statistics (a baseline file may hold anything) ----------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)  # an integer too large for a float raises
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _metric(entry: Any) -> tuple[float, float | None] | None:
    """(value, standard deviation) of a statistics.json metric ``{value, standard_deviation}``."""
    value = _number(entry.get("value")) if isinstance(entry, Mapping) else None
    if value is None:
        return None
    return value, _number(entry.get("standard_deviation"))


def _format(value: float) -> str:
    return f"{value:.4f}" if abs(value) < 1e5 else f"{value:.4g}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "\u2026"


# -- constrained metrics and their gauges ------------------------------------------------------------------


def _constraint_row(name: str, entry: Any, threshold: float, operator: str, reference: Any, violated: bool) -> str:
    run, base = _metric(entry), _metric(reference)
    if run is None:
        value, result = "not computed", "not judged"
    else:
        spread = f" &plusmn; {_format(run[1])}" if run[1] is not None else ""
        value, result = f"{_format(run[0])}{spread}", "violated" if violated else "ok"
    gauge = _gauge(name, run[0] if run else None, base[0] if base else None, threshold, operator)
    return (
        f'<tr{" class=bad" if violated else ""} data-metric="{escape(name)}"><th scope=row>{escape(name)}</th>'
        f"<td>{value}</td><td>{_format(base[0]) if base else '-'}</td><td>{escape(operator)} {_format(threshold)}</td>"
        f"<td>{'<b>violated</b>' if violated else result}</td><td>{gauge}</td></tr>"
    )


def _span(values: Sequence[float]) -> tuple[float, float]:
    """The gauge's scale: 0 to 1 for rates and scores, else from 0 (or the lowest value) to a little past the top."""
    if all(0.0 <= v <= 1.0 for v in values):
        return 0.0, 1.0
    low, high = min(0.0, *values), max(0.0, *values)
    margin = 0.05 * (high - low) or 1.0
    return low - (margin if low < 0 else 0.0), high + margin


def _gauge(
    name: str, value: float | None, reference: float | None, threshold: float | None, operator: str | None
) -> str:
    """One metric on its own scale: a bar for this run, a tick for the baseline, the violating side shaded."""
    if threshold is not None and not math.isfinite(threshold):  # constraints.json may say Infinity or NaN
        threshold = None
    known = [v for v in (value, reference, threshold) if v is not None]
    if not known:
        return "-"
    low, high = _span(known)
    inner = GAUGE_WIDTH - 2 * GAUGE_PAD

    def x(v: float) -> float:
        return GAUGE_PAD + inner * (v - low) / (high - low)

    parts, said = [f'<line x1="{GAUGE_PAD}" y1="18" x2="{GAUGE_WIDTH - GAUGE_PAD}" y2="18" stroke="#999"/>'], [name]
    if threshold is not None and operator is not None:
        start, end = (low, threshold) if operator.startswith("Less") else (threshold, high)
        parts.append(
            f'<rect x="{x(start):.1f}" y="2" width="{x(end) - x(start):.1f}" height="16" fill="{VIOLATING_SHADE}"/>'
            f'<line x1="{x(threshold):.1f}" y1="1" x2="{x(threshold):.1f}" y2="19" stroke="{THRESHOLD_COLOUR}"'
            ' stroke-width="2"/>'
        )
        said.append(f"threshold {threshold:.4g}, violated when {operator}")
    if value is not None:
        left, right = sorted((x(max(low, min(high, 0.0))), x(value)))
        parts.append(
            f'<rect x="{left:.1f}" y="6" width="{max(right - left, 1.0):.1f}" height="8" fill="{CURRENT_COLOUR}"/>'
        )
        said.append(f"this run {value:.4g}")
    if reference is not None:
        parts.append(
            f'<line x1="{x(reference):.1f}" y1="3" x2="{x(reference):.1f}" y2="17" stroke="{BASELINE_COLOUR}"'
            ' stroke-width="3"/>'
        )
        said.append(f"baseline {reference:.4g}")
    parts.append(
        f'<text x="{GAUGE_PAD}" y="28" font-size="9">{low:.3g}</text>'
        f'<text x="{GAUGE_WIDTH - GAUGE_PAD}" y="28" font-size="9" text-anchor="end">{high:.3g}</text>'
    )
    return _svg(", ".join(said), GAUGE_WIDTH, GAUGE_HEIGHT, "".join(parts), css="gauge")


def _svg(label: str, width: int, height: int, body: str, *, css: str) -> str:
    text = escape(label)
    return (
        f'<svg class={css} role="img" aria-label="{text}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{text}</title>{body}</svg>'
    )


# -- the problem type's pictures ---------------------------------------------------------------------------


def _pictures(problem_type: str, section: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    if problem_type not in (mq.BINARY, mq.MULTICLASS):
        return ""
    reference = baseline or {}
    matrices = [
        _matrix_table("this run", section.get("confusion_matrix")),
        _matrix_table("baseline", reference.get("confusion_matrix")) if baseline is not None else "",
    ]
    html = (
        "<h2 id=confusion>Confusion matrix</h2><p>Rows are the true labels, columns the predicted ones; each cell "
        f"gives its count and its share of the rows.</p><div class=side>{''.join(matrices)}</div>"
    )
    if problem_type != mq.BINARY:
        return html
    charts = [_curve_chart(section, reference, spec) for spec in CURVES]
    if not any(charts):
        return html + (
            "<h2 id=curves>ROC and precision-recall curves</h2><p>Not drawn: the predictions carry no probability "
            "(set the monitor's probabilityAttribute).</p>"
        )
    return html + f"<h2 id=curves>ROC and precision-recall curves</h2><div class=side>{''.join(charts)}</div>"


def _read_matrix(raw: Any) -> tuple[list[str], dict[tuple[str, str], int]] | None:
    """Model Monitor's ``{actual: {predicted: count}}`` as (class labels, counts); None if it is not one."""
    if not isinstance(raw, Mapping) or not raw:
        return None
    labels: dict[str, None] = {}
    counts: dict[tuple[str, str], int] = {}
    for actual, row in raw.items():
        if not isinstance(row, Mapping):
            return None
        labels[str(actual)] = None
        for predicted, count in row.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                return None
            labels[str(predicted)] = None
            counts[str(actual), str(predicted)] = count
    return list(labels), counts


def _matrix_table(whose: str, raw: Any) -> str:
    read = _read_matrix(raw)
    if read is None:
        return f"<p class=matrix>No confusion matrix in {whose}'s statistics.</p>"
    labels, counts = read
    total = sum(counts.values()) or 1
    note = ""
    if len(labels) > MAX_CLASSES:  # the classes with the most rows, true or predicted
        weight = dict.fromkeys(labels, 0)
        for (actual, predicted), count in counts.items():
            weight[actual] += count
            weight[predicted] += count
        kept = set(sorted(labels, key=lambda c: -weight[c])[:MAX_CLASSES])
        note = f" ({MAX_CLASSES} of {len(labels)} classes: those with the most rows)"
        labels = [c for c in labels if c in kept]
    head = "".join(f"<th scope=col>{_label(c)}</th>" for c in labels)
    body = []
    for actual in labels:
        cells = []
        for predicted in labels:
            count = counts.get((actual, predicted), 0)
            share = count / total
            colour = CURRENT_COLOUR if whose == "this run" else BASELINE_COLOUR
            shade = f' style="background:{colour}{round(share * 200):02x}"' if count else ""
            cells.append(
                f"<td{shade}{' class=hit' if actual == predicted else ''}>{count}<small>{share:.1%}</small></td>"
            )
        body.append(f"<tr><th scope=row>{_label(actual)}</th>{''.join(cells)}</tr>")
    return (
        f'<table class=matrix data-whose="{whose}"><caption>{whose}: {total} rows{escape(note)}</caption>'
        f"<thead><tr><th scope=col>true \\ predicted</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _label(label: str) -> str:
    return f'<span title="{escape(label[:TITLE_CHARS])}">{escape(_short(label))}</span>'


def _read_curve(raw: Any, x_key: str, y_key: str) -> list[Point] | None:
    """A curve's points, each coordinate in [0, 1]; None if the statistics hold no such curve."""
    xs = raw.get(x_key) if isinstance(raw, Mapping) else None
    ys = raw.get(y_key) if isinstance(raw, Mapping) else None
    if not isinstance(xs, list) or not isinstance(ys, list) or len(xs) != len(ys) or not xs:
        return None
    points = [
        (a, b) for a, b in zip(map(_number, xs), map(_number, ys), strict=True) if a is not None and b is not None
    ]
    if len(points) > MAX_POINTS:
        step = (len(points) - 1) / (MAX_POINTS - 1)
        points = [points[round(i * step)] for i in range(MAX_POINTS)]
    return [(min(max(a, 0.0), 1.0), min(max(b, 0.0), 1.0)) for a, b in points] or None


def _curve_chart(section: Mapping[str, Any], reference: Mapping[str, Any], spec: tuple[Any, ...]) -> str:
    key, title, (x_key, x_axis), (y_key, y_axis), line = spec
    run = _read_curve(section.get(key), x_key, y_key)
    base = _read_curve(reference.get(key), x_key, y_key)
    if run is None and base is None:
        return ""
    plot = CURVE_SIZE - 2 * CURVE_PAD

    def at(point: Point) -> str:
        return f"{CURVE_PAD + plot * point[0]:.1f},{CURVE_SIZE - CURVE_PAD - plot * point[1]:.1f}"

    grid = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, y = at((tick, 0.0)).split(",")[0], at((0.0, tick)).split(",")[1]
        grid.append(
            f'<line x1="{x}" y1="{CURVE_PAD}" x2="{x}" y2="{CURVE_SIZE - CURVE_PAD}" stroke="#eee"/>'
            f'<line x1="{CURVE_PAD}" y1="{y}" x2="{CURVE_SIZE - CURVE_PAD}" y2="{y}" stroke="#eee"/>'
            f'<text x="{x}" y="{CURVE_SIZE - CURVE_PAD + 14}" font-size="10" text-anchor="middle">{tick:g}</text>'
            f'<text x="{CURVE_PAD - 6}" y="{float(y) + 3:.1f}" font-size="10" text-anchor="end">{tick:g}</text>'
        )
    ends = _reference_line(line, section if run is not None else reference)
    if ends is not None:
        start, end = ends
        grid.append(
            f'<polyline points="{at(start)} {at(end)}" fill="none" stroke="#888" stroke-dasharray="4 4">'
            f"<title>{line}</title></polyline>"
        )
    said, lines = [title], []
    series = [("baseline", base, BASELINE_COLOUR, reference), ("this run", run, CURRENT_COLOUR, section)]
    for whose, points, colour, source in series:
        if points is None:
            continue
        area = _metric(source.get("auc")) if key.startswith("receiver") else None
        named = f"{whose} (AUC {area[0]:.3f})" if area else whose
        said.append(f"{named}: {len(points)} points")
        lines.append(
            f'<polyline data-series="{whose}" points="{" ".join(at(p) for p in points)}" fill="none" '
            f'stroke="{colour}" stroke-width="2"><title>{named}</title></polyline>'
        )
        legend_y = 14 * len(said) - 8  # above the plot, a line per series
        lines.append(
            f'<rect x="{CURVE_PAD + 4}" y="{legend_y - 8}" width="10" height="3" fill="{colour}"/>'
            f'<text x="{CURVE_PAD + 18}" y="{legend_y - 4}" font-size="10">{named}</text>'
        )
    axes = (
        f'<rect x="{CURVE_PAD}" y="{CURVE_PAD}" width="{plot}" height="{plot}" fill="none" stroke="#444"/>'
        f'<text x="{CURVE_SIZE / 2:.0f}" y="{CURVE_SIZE - 12}" font-size="11" text-anchor="middle">{x_axis}</text>'
        f'<text x="14" y="{CURVE_SIZE / 2:.0f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 14 {CURVE_SIZE / 2:.0f})">{y_axis}</text>'
    )
    return (
        f'<figure data-curve="{key}">{_svg("; ".join(said), CURVE_SIZE, CURVE_SIZE, "".join(grid) + axes + "".join(lines), css="curve")}'
        f"<figcaption>{title}: {y_axis} against {x_axis}</figcaption></figure>"
    )


def _reference_line(line: str, section: Mapping[str, Any]) -> tuple[Point, Point] | None:
    """The chance diagonal of ROC; the always-positive classifier's precision (the prevalence) across PR."""
    if line == "chance":
        return (0.0, 0.0), (1.0, 1.0)
    constant = _metric(section.get("precision_best_constant_classifier"))
    level = min(max(constant[0], 0.0), 1.0) if constant else None
    return ((0.0, level), (1.0, level)) if level is not None else None


# -- every metric of the section ---------------------------------------------------------------------------

CONSTANT = "_best_constant_classifier"


def _metrics_table(
    problem_type: str,
    section: Mapping[str, Any],
    reference: Mapping[str, Any],
    constraints: Mapping[str, tuple[float, str]],
) -> str:
    names = [n for n in section if not n.endswith(CONSTANT) and _metric(section[n]) is not None]
    constant = any(n.endswith(CONSTANT) for n in section)
    rows = []
    for name in names:
        run, base = _metric(section[name]), _metric(reference.get(name))
        assert run is not None  # names hold only readable metrics
        spread = f" &plusmn; {_format(run[1])}" if run[1] is not None else ""
        best = _metric(section.get(name + CONSTANT))
        threshold, operator = constraints.get(name, (None, None))
        rows.append(
            f"<tr><th scope=row>{escape(name)}</th><td>{_format(run[0])}{spread}</td>"
            + (f"<td>{_format(best[0]) if best else '-'}</td>" if constant else "")
            + f"<td>{_format(base[0]) if base else '-'}</td><td>{_change(run[0], base[0]) if base else '-'}</td>"
            f"<td>{_gauge(name, run[0], base[0] if base else None, threshold, operator)}</td></tr>"
        )
    heading = "Error metrics" if problem_type == mq.REGRESSION else "Every metric"
    head = "<th scope=col>best constant classifier</th>" if constant else ""
    return (
        f"<h2 id=metrics>{heading}</h2><table><thead><tr><th scope=col>metric</th><th scope=col>this run</th>{head}"
        f"<th scope=col>baseline</th><th scope=col>change</th><th scope=col>chart</th></tr></thead><tbody>{''.join(rows)}"
        "</tbody></table>"
    )


def _change(value: float, reference: float) -> str:
    relative = f" ({(value - reference) / abs(reference):+.0%})" if reference else ""
    return f"{value - reference:+.4f}{relative}"


_PAGE = """{head}
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; padding: 0 1em; }}
h1 {{ font-size: 1.4em; }} h2 {{ font-size: 1.15em; margin: 1.4em 0 0.4em; }}
table {{ border-collapse: collapse; font-size: 0.9em; margin-bottom: 1em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: middle; }}
td {{ white-space: nowrap; }}
tr.bad td, tr.bad th {{ background: #fff1f0; }}
table.matrix td {{ text-align: right; min-width: 4em; }} table.matrix td.hit {{ font-weight: bold; }}
table.matrix small {{ display: block; color: #444; font-weight: normal; }}
caption {{ text-align: left; font-weight: bold; padding-bottom: 4px; }}
.side {{ display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }}
figure {{ margin: 0; }} figcaption {{ font-size: 0.85em; }}
.key {{ font-size: 0.9em; }} .swatch {{ display: inline-block; width: 10px; height: 10px; }}
</style></head>
<body>
<h1>Model quality: {title}</h1>
<p>{summary}</p>
<p class=key><span class=swatch style="background:{current}"></span> this run
&nbsp; <span class=swatch style="background:{baseline}"></span> baseline
&nbsp; <span class=swatch style="background:{threshold}"></span> threshold
&nbsp; <span class=swatch style="background:{shade}"></span> violating side</p>
<p class=key>{source}</p>
<h2 id=constraints>Constrained metrics</h2>
<table><thead><tr><th scope=col>metric</th><th scope=col>this run</th><th scope=col>baseline</th>
<th scope=col>violates when</th><th scope=col>result</th><th scope=col>chart</th></tr></thead>
<tbody>
{rows}
</tbody></table>
{pictures}
{metrics}
</body></html>
"""
