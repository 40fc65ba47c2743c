"""Client APIs under /api/: Google Reader (/api/greader/ and FreshRSS's /api/greader.php/)
and Fever (/api/fever/)."""

from django.urls import path, re_path

from reader.api.compat import fever, greader

urlpatterns = [
    path("fever/", fever.fever, name="fever"),
    path("fever", fever.fever),
    path("fever.php", fever.fever),
]
for prefix in ("greader", "greader.php", r"greader\.php/api/greader\.php"):
    p = prefix.replace(".", r"\.") if "\\" not in prefix else prefix
    urlpatterns += [
        re_path(rf"^{p}/accounts/ClientLogin/?$", greader.client_login),
        re_path(rf"^{p}/reader/api/0/(?P<path>.*)$", greader.api),
    ]
