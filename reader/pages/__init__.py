"""Server-rendered pages, one module per area with its URL module beside it.

- ``reading`` / ``reading_urls``: /reader/, entry actions, mark all read, display, /search/;
- ``subscriptions`` / ``subscriptions_urls``: /subscriptions/ and its actions;
- ``settings`` / ``settings_urls``: all of /settings/;
- ``public`` / ``public_urls``: landing, directory, public sources and entries, icons,
  saved-view feeds.

Views are thin: parse input (``params``, ``forms``), call one service or selector, render
(``error_texts`` words the services' errors).
"""
