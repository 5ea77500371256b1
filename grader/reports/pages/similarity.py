"""The similarity report (``grade similarity``, the service's dashboard): the pairs above the
threshold, a histogram of every pair's score, and per pair a side-by-side view of the two
codes with their matching regions highlighted. Offline pages from the packaged templates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grader.core.similarity import Code, Pair
from grader.reports.pages.render import render

#: How many regions get a colour of their own (then the colours repeat).
REGION_COLOURS = 6


@dataclass
class CodeLine:
    """One line of a side of the side-by-side view: its number, text and region (or None)."""

    number: int
    text: str
    region: int | None


def pair_file(index: int, pair: Pair | None = None) -> str:
    """The file name of the ``index``-th pair's page (1-based)."""
    return f"pair-{index}.html"


def _lines(code: Code, marked: list[list[int]]) -> list[CodeLine]:
    region_of: dict[int, int] = {}
    for region, numbers in enumerate(marked):
        for number in numbers:
            region_of.setdefault(number, region % REGION_COLOURS)
    lines = code.text.split("\n")  # tokenize numbers lines by newlines alone (not by \x0c or \u2028)
    return [CodeLine(number, text.rstrip("\r"), region_of.get(number)) for number, text in enumerate(lines, start=1)]


def pair_page(pair: Pair, codes: dict[str, Code], lesson: str, *, links: dict[str, str] | None = None, back: str = "index.html", **context) -> str:
    """The side-by-side view of ``pair`` (``context``: the page's navigation, as
    :func:`~grader.reports.pages.render.render` takes it)."""
    links = links or {}
    return render(
        "similarity_pair.html",
        title=f"{lesson}: {pair.a} and {pair.b}",
        lesson=lesson,
        pair=pair,
        back=back,
        links=links,
        a_lines=_lines(codes[pair.a], [region.a_marked for region in pair.regions]),
        b_lines=_lines(codes[pair.b], [region.b_marked for region in pair.regions]),
        colours=REGION_COLOURS,
        **context,
    )


def report_page(
    pairs: list[Pair], lesson: str, *, submissions: int, threshold: float, all_scores: list[float], links: dict[str, str] | None = None, pair_href=pair_file, **context
) -> str:
    """The report's index: ``pairs`` (those at or above ``threshold``, each opening its view at
    ``pair_href(index, pair)``) and the histogram of ``all_scores`` (every pair that shares a
    counted region; the others score 0)."""
    from grader.reports.plots import similarity_histogram_svg

    return render(
        "similarity.html",
        title=f"{lesson}: similar submissions",
        lesson=lesson,
        shown=list(enumerate(pairs, start=1)),
        submissions=submissions,
        threshold=threshold,
        compared=submissions * (submissions - 1) // 2,
        histogram=similarity_histogram_svg(all_scores, threshold, f"{lesson}: {len(all_scores)} pairs with a matching passage"),
        links=links or {},
        pair_href=pair_href,
        **context,
    )


def histogram(all_scores: list[float], bins: int = 20) -> list[int]:
    """How many pairs score in each of ``bins`` equal bins of [0, 1] (1 in the last)."""
    counts = [0] * bins
    for score in all_scores:
        counts[min(int(score * bins), bins - 1)] += 1
    return counts


def report_json(pairs: list[Pair], lesson: str, *, submissions: int, threshold: float, all_scores: list[float]) -> str:
    """The report as JSON for tools: the pairs at or above ``threshold`` with their regions,
    best first, and the histogram of every pair's score."""
    data = {
        "lesson": lesson,
        "submissions": submissions,
        "threshold": threshold,
        "pairs": [pair.to_dict() for pair in pairs],
        "histogram": {"bins": [round(index / 20, 2) for index in range(21)], "pairs": histogram(all_scores), "pairs_above_0": len(all_scores)},
    }
    return json.dumps(data, indent=2) + "\n"


def write_report(folder: Path, pairs: list[Pair], codes: dict[str, Code], lesson: str, *, threshold: float, all_scores: list[float], links: dict[str, str] | None = None) -> Path:
    """``folder/index.html`` and a side-by-side page per pair of ``pairs``; the index's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(report_page(pairs, lesson, submissions=len(codes), threshold=threshold, all_scores=all_scores, links=links))
    for index, pair in enumerate(pairs, start=1):
        (folder / pair_file(index)).write_text(pair_page(pair, codes, lesson, links=links))
    return folder / "index.html"
