"""The Nextcloud News API, versions 1.2 and 1.3, as a face on the reading services.

Served under ``/index.php/apps/news/api/`` and ``/apps/news/api/`` (the path apps append to
the server URL), ``v1-2/`` and ``v1-3/``; the bare prefix lists the API levels. Sources:
the News app's ``docs/api/api-v1-2.md`` and ``api-v1-3.md`` and, where they are unclear,
what the News app's controllers do (restated in ``docs/apps.md``).

* ``base``: the view class (HTTP Basic with the client password, the shared credential
  lock, parameters from the query string and the JSON body, errors as ``{"message": ...}``).
* ``shapes``: the JSON of folders, feeds and items, and the item id scheme.
* ``views``: one view per route, each a thin translation onto ``reader.services`` and
  ``reader.selectors``.
* ``urls``: the routes.

Ids: folders are category ids, feeds are feed ids (a user subscribes to a feed at most
once), items are integer entry ids (``reader.api.compat.integer_ids``: they fit the 32-bit
integers newsboat and other apps parse them into).
"""
