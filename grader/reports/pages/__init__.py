"""Web pages: a submission's feedback and a lesson's class dashboard, from one set of templates.

:mod:`grader.reports.pages.views` computes what a page shows from results; :mod:`grader.reports.pages.render`
renders the packaged Jinja2 templates; :mod:`grader.reports.pages.compose` writes the static pages
(``grade autograde --feedback``, ``grade report``). The service serves the same templates.
"""
