"""The app class: Flask, with `url_for` remembering the URLs it has built.

A reader's page asks for about sixty URLs (the header, the sidebar's tags and months, the comment form, the
links to other articles), and Werkzeug builds each from its rule every time: 4-8 µs apiece, a tenth of a
cold article. A URL is a pure function of the endpoint, its values and where the request came in (script
root, host, scheme), none of which changes while the process runs, so the first build of each is kept
(a bounded number of them) and reused. Nothing here is state another worker or host needs: each builds
the same URLs.
"""

from flask import Flask
from flask.globals import _cv_request

URLS_KEPT = 4096  # at about 200 bytes each, under 1 MB a worker; the oldest go first


class Blog(Flask):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._built_urls: dict[tuple, str] = {}

    def url_for(
        self,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values,
    ) -> str:
        context = _cv_request.get(None)
        # Outside a request (mail, commands), with url_defaults callbacks (they may read the request) or
        # unhashable values, Flask builds as usual.
        if context is None or any(self.url_default_functions.values()):
            return super().url_for(
                endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
            )
        adapter = context.url_adapter
        key = (
            endpoint,
            context.request.blueprint if endpoint[:1] == "." else None,
            _anchor,
            _method,
            _scheme,
            _external,
            None if adapter is None else (adapter.script_name, adapter.server_name, adapter.url_scheme),
            *sorted(values.items()),
        )
        try:
            url = self._built_urls.get(key)
        except TypeError:  # a value that cannot be a key (a list of query values)
            return super().url_for(
                endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
            )
        if url is None:
            url = super().url_for(
                endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
            )
            built = self._built_urls
            while len(built) >= URLS_KEPT:
                del built[next(iter(built))]
            built[key] = url
        return url
