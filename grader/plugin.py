"""The grader's pytest plugin (the ``task`` and ``points`` markers, grading switched on).

The module lives at :mod:`grader.core.plugin`; this name is the one of the ``pytest11`` entry point and of the hidden suites' ``task_param``, kept so that they go on
working: importing it gives that very module (one module object, so a check, a patch or a
registration through either name is the same)."""

import sys

from grader.core import plugin as _module

sys.modules[__name__] = _module
