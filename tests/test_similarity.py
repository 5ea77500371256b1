"""Similarity across submissions (``grade similarity``): copies disguised as students disguise
them (renamed variables, reordered functions, comments and dead code, half of the functions)
rank above every pair of independently written correct solutions; the stub alone scores
nothing; a notebook is compared through the code the grader takes from it; the results are the
same on every run; the report opens in a browser, with a side-by-side view of a pair."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat.v4 as nbf
import pytest
from click.testing import CliRunner
from nbformat import writes
from similarity_corpus import corpus

from grader.cli import main
from grader.core import similarity
from grader.course.catalogue import get_lesson

LESSON = get_lesson("activations")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The corpus as submission folders: ``(root, copies, independent)``."""
    root = tmp_path_factory.mktemp("similarity")
    submissions, copies, independent = corpus()
    for name, text in submissions.items():
        (root / name).mkdir()
        (root / name / LESSON.filename).write_text(text)
    return root, copies, independent


def scores_of(root: Path, names: list[str]) -> dict[frozenset, float]:
    boilerplate = similarity.lesson_boilerplate(LESSON)
    codes = [similarity.fingerprint(name, similarity.submission_code(LESSON, root / name), boilerplate) for name in names]
    pairs, all_scores = similarity.similar_pairs(codes)
    assert sorted((pair.score for pair in pairs), reverse=True) == all_scores
    for pair in pairs:  # the matrix of every pair at once gives what comparing the two gives
        assert abs(similarity.compare(codes_by_name(codes)[pair.a], codes_by_name(codes)[pair.b]).score - pair.score) < 1e-9
    return {frozenset((pair.a, pair.b)): pair.score for pair in pairs}


def codes_by_name(codes):
    return {code.name: code for code in codes}


def test_every_disguised_copy_ranks_above_every_independent_pair_and_the_stub_scores_nothing(folders):
    root, copies, independent = folders
    names = sorted(path.name for path in root.iterdir())
    scores = scores_of(root, names)
    lowest_copy = min(scores.get(pair, 0.0) for pair in copies)
    highest_independent = max(scores.get(pair, 0.0) for pair in independent)
    assert lowest_copy > highest_independent + 0.3, (lowest_copy, highest_independent, scores)
    assert scores[frozenset(("ada", "ada_renamed"))] > 0.9 and scores[frozenset(("ada", "ada_reordered"))] > 0.9
    assert 0.35 < scores[frozenset(("ada", "dan_half"))] < 0.75, "a copy of half of the functions scores about half"
    assert not any("stub" in pair for pair in scores), "the released stub holds nothing of anyone's"


def test_every_pair_at_once_agrees_with_comparing_the_two_even_for_repeated_code():
    zeros = ", ".join(["0"] * 40)
    codes = [similarity.fingerprint("a", f"print([{zeros}])\n"), similarity.fingerprint("b", f"x = {{{zeros}}}\n"), similarity.fingerprint("c", "y = 1\n")]
    matrix = similarity.coverage_matrix(codes, set())
    for i in range(3):
        for j in range(3):
            if i != j:
                assert matrix[i, j] == pytest.approx(similarity.compare(codes[i], codes[j]).coverage_a), (i, j)
    assert matrix[0, 1] > 0.8, "one hash repeated along a long passage is a long passage"


def test_one_shared_short_line_weighs_nothing():
    short = "def relu(x):\n    return np.maximum(x, 0)\n"
    a = similarity.fingerprint("a", "import numpy as np\n" + short)
    b = similarity.fingerprint("b", "import numpy as np\n\n" + short.replace("x", "z"))
    assert similarity.compare(a, b).score == 0.0


def test_a_notebook_is_compared_through_the_code_the_grader_takes_from_it(folders, tmp_path):
    root, _, _ = folders
    text = (root / "ada" / LESSON.filename).read_text()
    cells = [nbf.new_code_cell("%matplotlib inline"), nbf.new_code_cell(text), nbf.new_code_cell("print(relu(np.arange(3)))")]
    (tmp_path / "ada_notebook.ipynb").write_text(writes(nbf.new_notebook(cells=cells)))
    boilerplate = similarity.lesson_boilerplate(LESSON)
    notebook = similarity.fingerprint("nb", similarity.submission_code(LESSON, tmp_path / "ada_notebook.ipynb"), boilerplate)
    original = similarity.fingerprint("ada", similarity.submission_code(LESSON, root / "ada"), boilerplate)
    assert similarity.compare(original, notebook).score > 0.9


def run_cli(root: Path, out: Path, seed: str) -> dict:
    names = sorted(str(path) for path in root.iterdir())
    environment = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "grade"), "similarity", LESSON.id, *names, "--json", str(out / "pairs.json"), "--out", str(out / "report"), "--threshold", "0.3"],
        capture_output=True, text=True, timeout=300, env=environment,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((out / "pairs.json").read_text())


def test_the_results_are_identical_across_runs_and_the_report_is_written(folders, tmp_path):
    root, copies, _ = folders
    first, second = run_cli(root, tmp_path / "one", "1"), run_cli(root, tmp_path / "two", "2")
    assert first == second and first["pairs"], "the same pairs, scores and regions whatever the hash seed"
    shown = first["pairs"]
    assert all(pair["score"] >= 0.3 for pair in shown) and sum(first["histogram"]["pairs"]) >= len(shown)
    assert {frozenset((pair["a"], pair["b"])) for pair in shown} >= copies
    index = (tmp_path / "one" / "report" / "index.html").read_text()
    assert index.count('href="pair-') >= len(shown) and "<svg" in index
    assert len(list((tmp_path / "one" / "report").glob("pair-*.html"))) == len(shown)


def test_a_missing_submission_is_one_line_and_exit_2(tmp_path):
    run = CliRunner().invoke(main, ["similarity", LESSON.id, str(tmp_path / "nowhere")])
    assert run.exit_code == 2 and "does not exist" in run.output, run.output


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium (.ci/run installs it)")
def test_the_report_opens_in_a_browser_with_a_side_by_side_view(folders, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright: pip install -e '.[dev]'")
    root, _, _ = folders
    run_cli(root, tmp_path, "0")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((tmp_path / "report" / "index.html").as_uri())
            assert page.locator("table tbody tr").count() >= 5 and page.locator("figure svg").count() == 1
            page.locator("table tbody tr").first.locator("a").first.click()
            page.wait_for_load_state()
            assert "pair-1.html" in page.url
            sides = page.locator(".code")
            assert sides.count() == 2
            for side in range(2):
                marked = sides.nth(side).locator("[data-region]")
                assert marked.count() >= 10, "the matching lines are highlighted on both sides"
            colour = page.eval_on_selector(".code [data-region]", "element => getComputedStyle(element).backgroundColor")
            assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), colour
            page.screenshot(path=str(tmp_path / "pair.png"), full_page=False)
            page.go_back()
            assert page.locator("table tbody tr").count() >= 5
        finally:
            browser.close()


def test_the_service_reports_the_latest_submissions_and_brings_the_report_up_to_date(tmp_path):
    pytest.importorskip("fastapi", reason="needs the service's packages: pip install -e '.[dev]'")
    from service_fixtures import Served, tar_of, upload
    from test_service_security import Browser

    submissions, _, _ = corpus()
    served = Served(tmp_path, str(tmp_path / "grader.db"))
    tokens = {**served.accounts("ada", "ben", "cai", "dan"), **served.accounts("prof", role="instructor")}
    served.start()
    try:
        ids = {}
        for student, source in (("ada", "ada"), ("ben", "ben"), ("cai", "ada_renamed"), ("dan", "stub")):
            status, data, _ = upload(served, tokens[student], LESSON.id, tar_of({LESSON.filename: submissions[source].encode()}))
            assert status == 202, data
            ids[student] = data["id"]
        instructor = Browser(served)
        instructor.sign_in(tokens["prof"])
        status, _, page = instructor.send("GET", f"/dashboard/{LESSON.id}/similarity?threshold=0.5")
        assert status == 200, page
        assert f'/dashboard/{LESSON.id}/similarity/{ids["ada"]}/{ids["cai"]}' in page, "ada and cai (a renamed copy) are listed, linked to their view"
        assert f'href="/submissions/{ids["ada"]}"' in page and "ben" not in page.split("<figure")[0].split("Pairs scoring")[1]
        status, _, view = instructor.send("GET", f"/dashboard/{LESSON.id}/similarity/{ids['ada']}/{ids['cai']}")
        assert status == 200 and view.count("data-region") >= 20, view[:500]

        # dan hands in a copy of ben's work: the report is brought up to date (dan's stub leaves it)
        status, data, _ = upload(served, tokens["dan"], LESSON.id, tar_of({LESSON.filename: submissions["ben"].encode()}))
        assert status == 202, data
        status, _, text = instructor.send("GET", f"/dashboard/{LESSON.id}/similarity.json?threshold=0.5")
        report = json.loads(text)
        assert status == 200 and report["submissions"] == 4
        assert {frozenset((pair["a"], pair["b"])) for pair in report["pairs"]} == {frozenset(("ada", "cai")), frozenset(("ben", "dan"))}, report["pairs"]
        status, _, gone = instructor.send("GET", f"/dashboard/{LESSON.id}/similarity/{ids['dan']}/{ids['ben']}")
        assert status == 404, "dan's older submission is no longer in the report"

        student = Browser(served)
        student.sign_in(tokens["ben"])
        assert student.send("GET", f"/dashboard/{LESSON.id}/similarity")[0] == 403
        assert instructor.send("GET", f"/dashboard/{LESSON.id}/similarity?threshold=2")[0] == 422
        assert instructor.send("GET", "/dashboard/nowhere/similarity")[0] == 404
    finally:
        served.stop()
