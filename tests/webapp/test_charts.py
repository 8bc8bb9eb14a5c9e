"""Server-rendered SVG charts: well-formed, accessible, escaped, CSP-safe (no inline styles, no scripts)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from webapp.charts import dimension_chart_svg, distribution_svg, interval_bar_svg

NS = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & co'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on malformed markup


def texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(f"{NS}text")]


def with_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [el for el in root.iter(f"{NS}{tag}") if cls in el.get("class", "").split()]


def assert_csp_safe(svg: str) -> None:
    root = parse(svg)
    for el in root.iter():
        assert "style" not in el.attrib, el.tag
        assert el.tag not in {f"{NS}style", f"{NS}script", "style", "script"}
        assert not any(name.startswith("on") for name in el.attrib), el.attrib
    assert "style=" not in svg
    assert "<script" not in svg and "<style" not in svg


def assert_accessible(root: ET.Element, title: str) -> str:
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    title_el, desc_el = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title_el is not None and desc_el is not None
    assert title_el.text == title
    assert root.get("aria-labelledby") == f"{title_el.get('id')} {desc_el.get('id')}"
    return desc_el.text or ""


def marker_apex_x(root: ET.Element) -> float:
    (triangle,) = with_class(root, "polygon", "marker")
    points = [tuple(map(float, pair.split(","))) for pair in triangle.get("points").split()]
    assert len(points) == 3  # a triangle
    return points[0][0]


# --- distribution --------------------------------------------------------------------------------------------


def test_distribution_is_well_formed_accessible_and_safe():
    svg = distribution_svg([0.2, 0.5, 0.55, 0.9], 0.55, label="Combined signal")
    assert isinstance(svg, SafeString)
    assert_csp_safe(svg)
    root = parse(svg)
    desc = assert_accessible(root, "Combined signal")
    # median of 0.2, 0.5, 0.55, 0.9 = (0.5 + 0.55) / 2 = 0.525 (a hair above in binary) -> "0.53"
    assert "4 candidates, median 0.53" in desc and "lowest 0.20" in desc and "highest 0.90" in desc
    assert "This candidate: 0.55, higher than 2 of 4 candidates" in desc  # 0.2 and 0.5 are below 0.55
    assert len(with_class(root, "circle", "dot")) == 4
    assert "this candidate 0.55" in texts(root)
    assert {"0", "0.25", "0.5", "0.75", "1"} <= set(texts(root))


@pytest.mark.parametrize(("marked", "x"), [(0.5, 280.0), (0.25, 148.0), (0.0, 16.0), (1.0, 544.0), (1.7, 544.0)])
def test_distribution_triangle_sits_at_the_marked_value(marked, x):
    # width 560, 16 px margins: axis 16..544, so x = 16 + value * 528 (clamped to the axis)
    root = parse(distribution_svg([0.1, 0.4], marked, label="Signal"))
    assert marker_apex_x(root) == pytest.approx(x, abs=0.05)


def test_distribution_triangle_respects_custom_range():
    # lo=1, hi=4 on width 400: axis 16..384; 2.5 is halfway -> 200
    root = parse(distribution_svg([1, 2, 3], 2.5, label="Levels", width=400, lo=1, hi=4))
    assert marker_apex_x(root) == pytest.approx(200.0, abs=0.05)


def test_distribution_without_marked_candidate_has_no_triangle():
    root = parse(distribution_svg([0.3], label="Signal"))
    assert with_class(root, "polygon", "marker") == []


def test_distribution_empty_says_no_data():
    svg = distribution_svg([], label="Signal")
    assert_csp_safe(svg)
    root = parse(svg)
    assert "no data" in texts(root)
    assert "no data" in assert_accessible(root, "Signal")
    assert with_class(root, "circle", "dot") == []


def test_distribution_empty_still_marks_candidate():
    root = parse(distribution_svg([], 0.4, label="Signal"))
    assert "no data" in texts(root)
    assert marker_apex_x(root) == pytest.approx(16 + 0.4 * 528, abs=0.05)


def test_distribution_escapes_label():
    svg = distribution_svg([0.5], 0.5, label=EVIL)
    assert_csp_safe(svg)
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert root.find(f"{NS}title").text == EVIL  # escaped in markup, intact as text
    assert EVIL in texts(root)


def test_distribution_stacks_dots_in_bins():
    # 0.51, 0.52, 0.53 share the 0.50-0.55 bin: one column of three dots at the same x, different y
    root = parse(distribution_svg([0.51, 0.52, 0.53, 0.9], label="Signal"))
    dots = with_class(root, "circle", "dot")
    column = [d for d in dots if d.get("cx") == dots[0].get("cx")]
    assert len(column) == 3
    assert len({d.get("cy") for d in column}) == 3


def test_distribution_large_cohort_uses_dots_for_several_candidates():
    svg = distribution_svg([0.5] * 200, label="Signal")
    root = parse(svg)
    (scale,) = [t for t in texts(root) if t.startswith("each dot = ")]
    per_dot = int(scale.split()[3])
    assert per_dot > 1
    assert len(with_class(root, "circle", "dot")) == -(-200 // per_dot)
    for dot in with_class(root, "circle", "dot"):
        assert float(dot.get("cy")) - float(dot.get("r")) >= 20  # stays inside the plot


def test_distribution_ignores_non_finite_values():
    root = parse(distribution_svg([0.5, float("nan"), float("inf")], label="Signal"))
    assert len(with_class(root, "circle", "dot")) == 1


def test_chart_ids_are_unique_per_render():
    first = parse(distribution_svg([0.5], label="A")).find(f"{NS}title").get("id")
    second = parse(distribution_svg([0.5], label="A")).find(f"{NS}title").get("id")
    assert first != second


# --- dimension chart -----------------------------------------------------------------------------------------

ROWS = [
    ("correctness", 2.67, 2.0, 3.33, [2, 3, 3]),
    ("communication", 2.5, None, None, [1, 4]),
]


def test_dimension_chart_rows_levels_means_and_intervals():
    svg = dimension_chart_svg(ROWS, lo=1, hi=4)
    assert isinstance(svg, SafeString)
    assert_csp_safe(svg)
    root = parse(svg)
    desc = assert_accessible(root, "Rubric dimensions")
    assert "correctness: mean 2.67 on 1 to 4 from 3 raters (levels 2, 3, 3), interval 2.00 to 3.33" in desc
    assert "communication: mean 2.50 on 1 to 4 from 2 raters (levels 1, 4)" in desc
    assert len(with_class(root, "g", "dimension-row")) == 2
    assert len(with_class(root, "circle", "rater-level")) == 5  # 3 + 2 raters
    assert len(with_class(root, "line", "mean")) == 2
    assert len(with_class(root, "line", "interval")) == 1  # only the first row has an interval
    assert len(with_class(root, "line", "interval-cap")) == 2
    labels = texts(root)
    assert {"correctness", "communication", "2.67 (2.00–3.33)", "2.50"} <= set(labels)
    assert {"1", "2", "3", "4"} <= set(labels)  # one tick per level of a small rubric


def test_dimension_chart_positions_on_the_level_axis():
    # width 560: plot from 150 + 12 = 162 to 560 - 120 - 8 = 432; lo=1, hi=4 -> x = 162 + (v - 1) / 3 * 270
    root = parse(dimension_chart_svg([("d", 2.5, 2.0, 3.0, [1, 4])], lo=1, hi=4))
    (mean,) = with_class(root, "line", "mean")
    assert float(mean.get("x1")) == pytest.approx(162 + 1.5 / 3 * 270, abs=0.05)  # 297
    xs = sorted(float(c.get("cx")) for c in with_class(root, "circle", "rater-level"))
    assert xs == pytest.approx([162.0, 432.0], abs=0.05)
    caps = sorted(float(c.get("x1")) for c in with_class(root, "line", "interval-cap"))
    assert caps == pytest.approx([252.0, 342.0], abs=0.05)  # 2 -> 252, 3 -> 342


def test_dimension_chart_equal_levels_stay_visible():
    root = parse(dimension_chart_svg([("d", 3.0, None, None, [3, 3, 3])], lo=1, hi=4))
    circles = with_class(root, "circle", "rater-level")
    assert len({c.get("cy") for c in circles}) == 3  # stacked, not drawn on top of each other


def test_dimension_chart_height_grows_with_rows():
    one = parse(dimension_chart_svg(ROWS[:1], lo=1, hi=4))
    two = parse(dimension_chart_svg(ROWS, lo=1, hi=4))
    assert float(two.get("height")) > float(one.get("height"))


def test_dimension_chart_escapes_labels():
    svg = dimension_chart_svg([(EVIL, 2.0, None, None, [2])], lo=1, hi=4)
    assert_csp_safe(svg)
    assert "&lt;script&gt;" in svg
    assert EVIL in (parse(svg).find(f"{NS}desc").text or "")


def test_dimension_chart_empty_says_no_data():
    svg = dimension_chart_svg([], lo=1, hi=4)
    assert_csp_safe(svg)
    root = parse(svg)
    assert "no data" in texts(root)
    assert "no data" in assert_accessible(root, "Rubric dimensions")


# --- interval bar --------------------------------------------------------------------------------------------


def test_interval_bar_point_and_interval():
    svg = interval_bar_svg(0.62, 0.48, 0.75)
    assert isinstance(svg, SafeString)
    assert_csp_safe(svg)
    root = parse(svg)
    desc = assert_accessible(root, "Combined signal")
    assert desc == "Combined signal: 0.62, interval 0.48 to 0.75."
    assert "0.62 (0.48–0.75)" in texts(root)
    # width 240: track 6..140 (134 px); 0.62 -> 6 + 0.62 * 134 = 89.08
    (point,) = with_class(root, "circle", "point")
    assert float(point.get("cx")) == pytest.approx(89.08, abs=0.05)
    assert len(with_class(root, "line", "interval-cap")) == 2


def test_interval_bar_collapsed_interval_says_no_spread():
    root = parse(interval_bar_svg(0.67, 0.67, 0.67))
    assert "0.67 (no spread)" in texts(root)
    assert with_class(root, "line", "interval-cap") == []


def test_interval_bar_without_interval():
    root = parse(interval_bar_svg(0.4, None, None))
    assert "0.40" in texts(root)
    assert with_class(root, "line", "interval") == []


def test_interval_bar_no_data():
    svg = interval_bar_svg(None, None, None)
    assert_csp_safe(svg)
    root = parse(svg)
    assert "no data" in texts(root)
    assert with_class(root, "circle", "point") == []


def test_interval_bar_escapes_label():
    svg = interval_bar_svg(0.5, 0.4, 0.6, label=EVIL)
    assert_csp_safe(svg)
    assert parse(svg).find(f"{NS}title").text == EVIL
