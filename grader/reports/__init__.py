"""What people read of results: the terminal tables (:mod:`~grader.reports.terminal`), a
submission's feedback files (:mod:`~grader.reports.feedback`), CSV and Gradescope exports
(:mod:`~grader.reports.exports`), the HTML pages (:mod:`~grader.reports.pages`) and plots."""
