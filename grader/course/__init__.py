"""The course's lessons as data: each lesson folder's manifest (:mod:`~grader.course.manifest`),
the catalogue of them under the course root (:mod:`~grader.course.catalogue`), where things are
(:mod:`~grader.course.paths`), the reference solutions (:mod:`~grader.course.references`) and
the stubs made from them (:mod:`~grader.course.stubs`)."""
