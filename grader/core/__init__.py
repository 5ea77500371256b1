"""One request in, one result out: the request (:mod:`~grader.core.request`), grading with the
hidden suite (:mod:`~grader.core.grading`, :mod:`~grader.core.suite`,
:mod:`~grader.core.collector`, :mod:`~grader.core.outcomes`), the public checks
(:mod:`~grader.core.public_checks`), the result (:mod:`~grader.core.results`) and batches
(:mod:`~grader.core.batch`)."""
