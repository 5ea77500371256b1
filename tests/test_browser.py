"""The service's pages in a real browser: Playwright driving Debian's Chromium against
``grade serve`` on loopback. Screenshots of each page at 375 and 1280 px wide are saved under
``$GRADER_ARTIFACTS`` (default: ``test-artifacts/`` in the checkout, which git ignores)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from service_fixtures import REPO, Served, tar_of

from grader.authoring.mutants import course_mutants
from grader.course.catalogue import LESSONS
from grader.course.paths import assignment_dir, course_root
from grader.course.references import reference_file

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium: apt-get install chromium (.ci/run installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright: pip install -e '.[dev]'")

ARTIFACTS = Path(os.environ.get("GRADER_ARTIFACTS", REPO / "test-artifacts"))
WIDTHS = {"phone": 375, "desktop": 1280}
#: Bob's submission: the reference with one typical bug (a mutant), so the tasks it breaks fail
#: for both students (alice submits the stubs) and every other task for alice only.
BUG = next(m for m in course_mutants(course_root() / "reference", LESSONS.values()) if m.lesson == "tensors")
HALF = reference_file("tensors", "tensors").read_text().replace(BUG.old, BUG.new)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    served = Served(folder, str(folder / "grader.db"), workers=1)
    tokens = served.accounts("alice", "bob")
    tokens.update(served.accounts("prof", role="instructor"))
    served.tokens = tokens
    served.start()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
        )
        yield launched
        launched.close()


def sign_in(browser, service, name: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(service.url + "/login")
    page.get_by_label("Your token").fill(service.tokens[name])
    page.get_by_role("button", name="Sign in").click()
    return context, page


def screenshots(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, f"{name} scrolls sideways at {width} px"


def test_a_student_submits_and_watches_the_result_arrive_without_reloading(browser, service, tmp_path):
    context, page = sign_in(browser, service, "alice")
    assert page.url.endswith("/me")
    stub = (assignment_dir("tensors") / "tensors.py").read_text()
    archive = tmp_path / "tensors.tar.gz"
    archive.write_bytes(tar_of({"tensors.py": stub.encode()}))
    page.get_by_label("Lesson").select_option("tensors")
    page.get_by_label("Archive").set_input_files(str(archive))
    page.get_by_role("button", name="Submit").click()
    assert "/submissions/" in page.url
    page.evaluate("window.notReloaded = true")
    sync_api.expect(page.get_by_role("heading", name="What to fix first")).to_be_visible(timeout=120_000)
    assert page.evaluate("window.notReloaded") is True, "the status changed in place, without a reload"
    headings = page.locator("main h2").all_inner_texts()
    assert headings[:2] == ["Score", "What to fix first"], headings
    assert page.locator("p.score").inner_text().startswith("0 / ")
    assert "tasks not started" in page.locator("details.not-started summary").inner_text(), "the untouched stubs are one line"
    screenshots(page, "student-submission")
    page.goto(service.url + "/me")
    screenshots(page, "student-home")
    context.close()


def test_a_students_session_opens_neither_another_students_page_nor_the_dashboard(browser, service, tmp_path):
    bob, bob_page = sign_in(browser, service, "bob")
    archive = tmp_path / "b.tar.gz"
    archive.write_bytes(tar_of({"tensors.py": HALF.encode()}))
    bob_page.get_by_label("Archive").set_input_files(str(archive))
    bob_page.get_by_role("button", name="Submit").click()
    bobs = bob_page.url
    alice, page = sign_in(browser, service, "alice")
    assert page.goto(bobs).status == 404
    assert page.goto(service.url + "/dashboard").status == 403
    assert page.goto(service.url + "/dashboard/tensors").status == 403
    anonymous = browser.new_context().new_page()
    anonymous.goto(bobs)
    assert anonymous.url.endswith("/login")
    bob.close()
    alice.close()


def test_the_instructor_reads_the_dashboard_of_the_class(browser, service, tmp_path):
    context, page = sign_in(browser, service, "prof")
    assert page.url.endswith("/dashboard")
    sync_api.expect(page.get_by_role("heading", name="Class dashboard")).to_be_visible()
    screenshots(page, "instructor-home")
    for _ in range(120):
        page.goto(service.url + "/dashboard/tensors")
        if "2 graded submissions" in page.inner_text("main"):
            break
        page.wait_for_timeout(1000)
    text = page.inner_text("main")
    assert "2 graded submissions" in text, text[:500]
    assert page.get_by_role("heading", name="Tasks, worst first").is_visible()
    rows = page.locator("section[aria-labelledby=tasks-heading] tbody tr").all_inner_texts()
    # alice submitted the stubs: she started no task, so only bob's attempts count, and his bug's tasks come first
    broken = [row for row in rows if "100% (1 of 1)" in row]
    assert sorted(row.split("\t")[0] for row in broken) == sorted(BUG.breaks), rows
    assert rows[: len(broken)] == broken, "the tasks that fail most come first"
    assert all("0% (0 of 1)" in row for row in rows[len(broken) :]), [row for row in rows[len(broken) :] if "0% (0 of 1)" not in row]
    assert all("1 not started" in row for row in rows), [row for row in rows if "1 not started" not in row]
    assert page.locator("svg").count() >= 1
    page.get_by_role("link", name="alice").first.click()
    assert "/submissions/" in page.url and page.get_by_role("heading", name="What to fix first").is_visible()
    page.goto(service.url + "/dashboard/tensors")
    screenshots(page, "instructor-dashboard")
    assert "lesson,student" in page.request.get(service.url + "/dashboard/tensors/scores.csv").text()
    context.close()


def _six_pages(folder: Path) -> dict[str, Path]:
    """The feedback pages of six activations submissions as a student would make them: full
    marks, the stub, two real bugs among tasks not started, a syntax error, an empty folder,
    and a partial one under a scores-only policy before its deadline."""
    from datetime import datetime

    from grader.api import GradeRequest, grade
    from grader.core.results import GradingResult
    from grader.reports.pages.compose import submission_page
    from grader.service.submissions import _deadline_words, _scores_only

    stub = (assignment_dir("activations") / "activations.py").read_text()
    partial = stub.replace('raise NotImplementedError("sigmoid: your code here")', "return 1.0 / (1.0 + np.exp(-x))", 1)
    partial = partial.replace('raise NotImplementedError("relu_grad: your code here")', "return (x > 0).astype(np.float64)", 1)
    sources = {
        "full": reference_file("activations", "activations").read_text(),
        "stub": stub,
        "partial": partial,
        "syntax": stub + "\ndef broken(:\n",
        "empty": None,
    }
    pages = {}
    for name, source in sources.items():
        submission = folder / name
        submission.mkdir()
        if source is not None:
            (submission / "activations.py").write_text(source)
        pages[name] = folder / f"{name}.html"
        result = grade(GradeRequest("activations", submission, student=name))
        pages[name].write_text(submission_page(result))
        if name == "partial":
            when = _deadline_words(datetime(2099, 1, 1))
            withheld = f"Until {when}, you see your points per task; the checks and their messages are shown after it."
            folded = GradingResult.from_dict(_scores_only(result.to_dict(), f"points lost; the checks' details are shown after {when}"))
            pages["scores-only"] = folder / "scores-only.html"
            pages["scores-only"].write_text(submission_page(folded, withheld=withheld))
    return pages


def test_feedback_pages_say_a_whole_submission_problem_once_and_show_the_first_real_bug_first(browser, tmp_path):
    pages = _six_pages(tmp_path)
    context = browser.new_context()
    page = context.new_page()
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 800})
        for name in ("syntax", "empty"):
            page.goto(pages[name].as_uri())
            assert page.locator(".banner [role=alert]").count() == 1, name
            banner = page.locator(".banner [role=alert]").inner_text()
            assert page.inner_text("main").count(banner) == 1 and page.locator(".task").count() == 0, name
        page.goto(pages["partial"].as_uri())
        first = page.locator(".task h3").first
        assert first.inner_text().split(":")[0] in ("sigmoid", "relu_grad")
        box = first.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 800, f"the first real bug is in the first screen at {width} px: {box}"
        assert page.locator("details.not-started").count() == 1 and "tasks not started" in page.locator("details.not-started summary").inner_text()
        assert "is not implemented yet" not in page.inner_text("main")
        page.goto(pages["scores-only"].as_uri())
        assert "2099-01-01 00:00 UTC" in page.inner_text("main") and page.locator("pre:empty").count() == 0
        for name in pages:
            page.goto(pages[name].as_uri())
            screenshots(page, f"feedback-{name}")
    context.close()
