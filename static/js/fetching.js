/* "Fetch full article" and "Retry" through the REST API.
 * Without JavaScript both are plain POST forms (reader/pages/); with it the entry's
 * content is replaced in place by the extracted article (sanitized by the server, like all
 * feed HTML) and a retry stays on the page, saying that the fetch runs until the live
 * updates of tidings.js show the new status. Delegated handlers: the reading pane is loaded
 * after page load. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function post(path) {
    return fetch("/api/v1/" + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error((data && data.detail) || "Error"); }
        return data;
      });
    });
  }

  function fetchingText() {
    var el = document.getElementById("js-strings");
    return (el && el.getAttribute("data-fetching")) || "Fetching\u2026";
  }

  function say(form, text) {
    var note = form.parentNode.querySelector(".fetching-note");
    if (!note) {
      note = document.createElement("span");
      note.className = "fetching-note small muted";
      note.setAttribute("role", "status");
      form.parentNode.insertBefore(note, form.nextSibling);
    }
    note.textContent = text;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var kind = form.getAttribute("data-js");
    if (kind !== "fetch-full-text" && kind !== "retry-feed") { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    if (kind === "fetch-full-text") {
      var view = form.closest("[data-entry-view]");
      post("entries/" + form.getAttribute("data-entry-id") + "/fetch-content/").then(function (entry) {
        var content = view && view.querySelector(".entry-content");
        if (entry.full_content_error && content) { say(form, entry.full_content_error); }
        else if (content && entry.content) { content.innerHTML = entry.content; }
      }).catch(function (error) {
        say(form, error.message);
        if (button) { button.disabled = false; }
      });
      return;
    }
    var id = button && button.getAttribute("data-retry-for");
    post("subscriptions/" + id + "/retry/").then(function (data) {
      /* The fetch runs in the background: say so, and let the page's live updates (tidings.js)
       * show the entries and the new status when it ends. */
      say(form, fetchingText());
      document.dispatchEvent(new CustomEvent("tidings:fetch-started", {
        detail: { subscriptionId: id, lastFetchedAt: data.feed ? data.feed.last_fetched_at : null }
      }));
    }).catch(function (error) {
      say(form, error.message);
      if (button) { button.disabled = false; }
    });
  });
})();
