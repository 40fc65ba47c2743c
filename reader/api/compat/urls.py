"""Client APIs under /api/: Google Reader (/api/greader/ and FreshRSS's /api/greader.php/),
Fever (/api/fever/), Tiny Tiny RSS (/api/ itself and /api/index.php; /tt-rss/api/ is routed
in reader/project/urls.py) and the feed icons they advertise
(/api/icons/<feed id>/<signature>/).

Google Reader paths tolerate what FreshRSS tolerates: doubled and trailing slashes
(``/api/greader//accounts/ClientLogin``), a duplicated ``/api/greader.php`` prefix, and the
bare prefix (``GET /api/greader``) answering ``OK``.
"""

from __future__ import annotations

from django.urls import path, re_path

from reader.api.compat import app_icons, atom, fever, greader, ttrss

urlpatterns = [
    path("", ttrss.api, name="ttrss"),
    path("index.php", ttrss.api),
    path("fever/", fever.fever, name="fever"),
    path("fever", fever.fever),
    path("fever.php", fever.fever),
    path("icons/<int:feed_id>/<str:signature>/", app_icons.app_icon, name="app_icon"),
]
for prefix in (r"greader", r"greader\.php", r"greader\.php/+api/+greader\.php"):
    urlpatterns += [
        re_path(rf"^{prefix}/*$", greader.root),
        re_path(rf"^{prefix}/+accounts/+ClientLogin/*$", greader.client_login),
        re_path(rf"^{prefix}/+reader/+api/+0/*(?P<path>.*)$", greader.api),
        re_path(rf"^{prefix}/+reader/+atom/*(?P<stream>.*)$", atom.atom_stream),
    ]
