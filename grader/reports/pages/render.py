"""Pages from the packaged Jinja2 templates: the static reports and the service's pages alike.

Autoescaping is on for every template: student text (messages, names) is always escaped; only
the SVG that matplotlib drew is inserted as markup.
"""

from __future__ import annotations

import functools
from importlib import resources

#: The vendored htmx (npm ``htmx.org``, its licence beside it): the service's pages load it from
#: their own server, never from a CDN.
HTMX_FILE = "htmx.min.js"
#: Swagger UI (npm ``swagger-ui-dist`` 5.32.0, its licence beside it): the service's ``/docs`` works offline.
SWAGGER_JS, SWAGGER_CSS = "swagger-ui-bundle.js", "swagger-ui.css"


@functools.lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment of ``grader/reports/pages/templates``."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    from grader.reports.reading import points

    env = Environment(loader=PackageLoader("grader.reports.pages", "templates"), autoescape=select_autoescape(default=True), undefined=StrictUndefined)
    env.filters["points"] = points  # numbers for people: 0.83, 41
    return env


def render(template: str, **context) -> str:
    """``template`` rendered with ``context`` (``title``, ``nav`` and ``live`` have defaults)."""
    context.setdefault("nav", [])
    context.setdefault("live", False)
    context.setdefault("htmx_url", "")
    return environment().get_template(template).render(**context)


def static_file(name: str) -> bytes:
    """A vendored static file (``htmx.min.js``, Swagger UI's)."""
    return resources.files("grader.reports.pages").joinpath("static", name).read_bytes()
