"""Untrusted bytes and processes: the intake that reads a submission as data
(:mod:`~grader.runner.intake`), the sandbox's limits and confinement
(:mod:`~grader.runner.sandbox`), the forked child and its zygote (:mod:`~grader.runner.child`,
:mod:`~grader.runner.zygote`) and the grader's proxy to it (:mod:`~grader.runner.proxy`)."""
