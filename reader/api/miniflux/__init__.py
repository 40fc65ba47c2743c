"""The Miniflux API v1 (``/v1/``), as Miniflux apps use it (docs/apps.md, "Miniflux API").

A separate face on the same services as the pages, the REST API (``/api/v1/``) and the
Google Reader and Fever APIs: ``base`` authenticates (``X-Auth-Token`` with a personal API
token, or HTTP Basic with the client password) and answers errors in Miniflux's shape
(``{"error_message": "..."}``), ``shapes`` writes Miniflux's JSON objects, ``entries``
translates Miniflux's entry filters onto ``reader.selectors``, ``views`` holds one function
per route and ``urls`` the routes. Source of the shapes: Miniflux's API reference
(miniflux.app/docs/api.html) and its Go client (``miniflux/v2`` ``client/model.go``).
"""
