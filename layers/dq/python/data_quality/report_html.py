"""report.html of a check run: what Studio's charts showed for Model Monitor, readable offline in any browser.

One page, no script, no network fetch (its Content-Security-Policy forbids both): per feature in violation, the
baseline's and this run's distributions on one chart (inline SVG) with the distance and the threshold; then a table
of every feature's checks. Feature names and category values come from the data: every one is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from data_quality.checks import NUMERIC_TYPES, Violation
from data_quality.constraints import Baseline, FeatureConstraint
from data_quality.profile import DatasetProfile, FeatureProfile
from data_quality.sketches import WeightedItems, categorical_distance, numerical_distance

BINS = 20
MAX_CATEGORIES = 12
WIDTH, HEIGHT, PAD = 640, 220, 36
BASELINE_COLOUR, CURRENT_COLOUR = "#1f77b4", "#ff7f0e"
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"  # nothing to run, nothing to fetch


@dataclass(frozen=True)
class Drift:
    """One feature's distributions, and how far apart they are against its threshold."""

    kind: str  # "numerical" | "categorical"
    labels: list[str]  # bin ranges or category values
    baseline: list[float]  # shares (sum to 1)
    current: list[float]
    distance: float
    threshold: float


def render_report(
    baseline: Baseline, current: DatasetProfile, violations: Sequence[Violation], *, title: str, period: str
) -> str:
    violated: dict[str, list[Violation]] = {}
    for violation in violations:
        violated.setdefault(violation.feature_name, []).append(violation)
    sections, rows = [], []
    for column, constraint in enumerate(baseline.features):
        feature = current.features[column] if column < current.width and column < len(current.features) else None
        drift = _drift(constraint, feature, baseline) if feature is not None else None
        found = violated.get(constraint.name, [])
        if found:
            sections.append(_section(constraint, found, drift))
        rows.append(_row(constraint, feature, current.item_count, found, drift))
    for name, found in violated.items():  # extra columns: not in the baseline
        if name not in {c.name for c in baseline.features}:
            rows.append(
                f"<tr class=bad><td>{escape(name)}</td><td>-</td><td>-</td><td>-</td><td>{_checks(found)}</td></tr>"
            )
    summary = (
        f"{len(violations)} violation{'s' if len(violations) != 1 else ''} in {len(violated)} feature"
        f"{'s' if len(violated) != 1 else ''}; {current.item_count} rows checked against the baseline"
    )
    return _PAGE.format(
        head=page_head(f"Data quality: {title}"),
        title=escape(title),
        period=escape(period),
        summary=escape(summary),
        sections="\n".join(sections) or "<p>No feature is in violation.</p>",
        rows="\n".join(rows),
        baseline=BASELINE_COLOUR,
        current=CURRENT_COLOUR,
    )


def _drift(constraint: FeatureConstraint, feature: FeatureProfile, baseline: Baseline) -> Drift | None:
    config = baseline.config.overridden(constraint.overrides)
    name = constraint.name
    if constraint.inferred_type in NUMERIC_TYPES and name in baseline.numeric and feature.numeric_count:
        reference, observed = baseline.numeric[name], feature.weighted_items()
        labels, shares = _histograms(reference, observed)
        distance = numerical_distance(reference, observed, config.comparison_method)
        return Drift("numerical", labels, shares[0], shares[1], distance, config.comparison_threshold)
    if constraint.inferred_type == "String" and name in baseline.categorical and feature.strings:
        reference_counts, observed_counts = baseline.categorical[name], feature.categories()
        n, m = sum(reference_counts.values()) or 1.0, sum(observed_counts.values()) or 1.0
        values = sorted(
            set(reference_counts) | set(observed_counts),
            key=lambda v: -(reference_counts.get(v, 0.0) / n + observed_counts.get(v, 0.0) / m),
        )[:MAX_CATEGORIES]
        return Drift(
            "categorical",
            values,
            [reference_counts.get(v, 0.0) / n for v in values],
            [observed_counts.get(v, 0.0) / m for v in values],
            categorical_distance(reference_counts, observed_counts),
            config.categorical_comparison_threshold,
        )
    return None


def _histograms(*sketches: WeightedItems) -> tuple[list[str], list[list[float]]]:
    """Shares of each sketch's weight in BINS equal bins over the range both cover."""
    low = min(float(s.items.min()) for s in sketches if len(s.items))
    high = max(float(s.items.max()) for s in sketches if len(s.items))
    edges = np.linspace(low, high if high > low else low + 1.0, BINS + 1)
    shares = []
    for sketch in sketches:
        counts, _ = np.histogram(sketch.items, bins=edges, weights=sketch.weights)
        shares.append((counts / (counts.sum() or 1.0)).tolist())
    labels = [f"{edges[i]:.4g} to {edges[i + 1]:.4g}" for i in range(BINS)]
    return labels, shares


def _section(constraint: FeatureConstraint, found: Sequence[Violation], drift: Drift | None) -> str:
    heading = f"<h2>{escape(constraint.name)}</h2>"
    listed = "".join(f"<li><b>{escape(v.constraint_check_type)}</b>: {escape(v.description)}</li>" for v in found)
    chart = ""
    if drift is not None:
        verdict = "exceeds" if drift.distance > drift.threshold else "within"
        chart = (
            f"<p class=metric>{drift.kind} distance <b>{drift.distance:.4f}</b> {verdict} threshold "
            f"<b>{drift.threshold:g}</b></p>{_chart(constraint.name, drift)}"
        )
    return (
        f'<section class=feature data-feature="{escape(constraint.name)}">{heading}<ul>{listed}</ul>{chart}</section>'
    )


def _chart(name: str, drift: Drift) -> str:
    """Both distributions as side-by-side bars on one axis (shares of rows)."""
    count = len(drift.labels)
    top = max([*drift.baseline, *drift.current, 1e-9])
    slot = (WIDTH - 2 * PAD) / max(count, 1)
    bar = slot * 0.4
    bars = []
    for i, label in enumerate(drift.labels):
        for j, (share, colour) in enumerate(((drift.baseline[i], BASELINE_COLOUR), (drift.current[i], CURRENT_COLOUR))):
            height = (HEIGHT - 2 * PAD) * share / top
            x = PAD + i * slot + slot * 0.1 + j * bar
            which = "baseline" if j == 0 else "this run"
            bars.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - PAD - height:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{colour}"><title>{escape(label)}: {which} {share:.1%}</title></rect>'
            )
    first, last = escape(drift.labels[0].split(" to ")[0]), escape(drift.labels[-1].split(" to ")[-1])
    axis = (
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#444"/>'
        f'<text x="{PAD}" y="{HEIGHT - PAD + 16}" font-size="11">{first if drift.kind == "numerical" else ""}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 16}" font-size="11" text-anchor="end">'
        f"{last if drift.kind == 'numerical' else ''}</text>"
        f'<text x="{PAD}" y="{PAD - 12}" font-size="11">share of rows (max {top:.1%})</text>'
    )
    if drift.kind == "categorical":
        axis += "".join(
            f'<text x="{PAD + (i + 0.5) * slot:.1f}" y="{HEIGHT - PAD + 16}" font-size="10" text-anchor="middle">'
            f"{escape(label[:12])}</text>"
            for i, label in enumerate(drift.labels)
        )
    legend = (
        f'<rect x="{WIDTH - 190}" y="6" width="10" height="10" fill="{BASELINE_COLOUR}"/>'
        f'<text x="{WIDTH - 176}" y="15" font-size="11">baseline</text>'
        f'<rect x="{WIDTH - 110}" y="6" width="10" height="10" fill="{CURRENT_COLOUR}"/>'
        f'<text x="{WIDTH - 96}" y="15" font-size="11">this run</text>'
    )
    label = escape(f"{name}: baseline and this run's {drift.kind} distributions")
    return (
        f'<svg role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg">{legend}{axis}{"".join(bars)}</svg>'
    )


def _row(
    constraint: FeatureConstraint,
    feature: FeatureProfile | None,
    rows: int,
    found: Sequence[Violation],
    drift: Drift | None,
) -> str:
    name = escape(constraint.name)
    if feature is None:
        return f"<tr class=bad><td>{name}</td><td>{escape(constraint.inferred_type)} / missing</td><td>-</td><td>-</td><td>{_checks(found)}</td></tr>"
    completeness = feature.present / rows if rows else 0.0
    distance = f"{drift.distance:.4f} / {drift.threshold:g}" if drift is not None else "-"
    return (
        f"<tr{' class=bad' if found else ''}><td>{name}</td>"
        f"<td>{escape(constraint.inferred_type)} / {escape(feature.inferred_type)}</td>"
        f"<td>{constraint.completeness:.1%} / {completeness:.1%}</td><td>{distance}</td><td>{_checks(found)}</td></tr>"
    )


def _checks(found: Sequence[Violation]) -> str:
    if not found:
        return "all checks passed"
    return "; ".join(f"<b>{escape(v.constraint_check_type)}</b>" for v in found)


def page_head(title: str) -> str:
    """A report's first lines: the policy that lets nothing run or load, and its (escaped) title."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>"
    )


_PAGE = """{head}
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 900px; color: #222; }}
h1 {{ font-size: 1.4em; }} h2 {{ font-size: 1.15em; margin-bottom: 0.2em; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }}
tr.bad td {{ background: #fff1f0; }}
.metric {{ margin: 0.2em 0; }} .key {{ font-size: 0.9em; }}
.swatch {{ display: inline-block; width: 10px; height: 10px; }}
section.feature {{ margin-bottom: 1.5em; }}
</style></head>
<body>
<h1>Data quality: {title}</h1>
<p>{period}. {summary}.</p>
<p class=key><span class=swatch style="background:{baseline}"></span> baseline
&nbsp; <span class=swatch style="background:{current}"></span> this run</p>
<h2 id=violations>Features in violation</h2>
{sections}
<h2 id=checks>Every feature's checks</h2>
<table>
<thead><tr><th>feature</th><th>type (baseline / this run)</th><th>completeness (baseline / this run)</th>
<th>distance / threshold</th><th>checks</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
