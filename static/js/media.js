/* Tidings media: the audio/video player of the reading pane and "Show images".
 *
 * Player (templates/_entry_content.html, [data-player]): the position is kept per reader and
 * entry through PUT /api/v1/entries/<id>/playback/ every few seconds while playing and on
 * pause, and restored from GET on load; the speed is remembered in this browser; "mark read
 * when finished" (a preference) marks the entry read at the end. Media events do not bubble,
 * so listeners capture them on the document: entries loaded into the pane later work too.
 * No inline script (CSP), no framework. */
(function () {
  "use strict";

  var API = "/api/v1/";
  var SAVE_EVERY_MS = 5000;
  var SPEED_KEY = "tidings.playbackRate";
  var doc = document;

  function csrfToken() {
    var meta = doc.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function str(key, fallback) {
    var el = doc.getElementById("js-strings");
    return (el && el.getAttribute("data-" + key)) || fallback;
  }
  function call(method, path, body) {
    var init = {
      method: method,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.status === 204 ? {} : response.json();
    });
  }
  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
  }

  function playerOf(media) {
    return media && media.closest ? media.closest("[data-player]") : null;
  }
  function status(player, text) {
    var el = player.querySelector("[data-player-status]");
    if (el) { el.textContent = text; }
  }
  function storedSpeed() {
    try { return parseFloat(window.localStorage.getItem(SPEED_KEY)) || 1; } catch (e) { return 1; }
  }

  function save(player, media) {
    var id = player.getAttribute("data-entry-id");
    if (!id || !isFinite(media.currentTime)) { return; }
    player.lastSave = Date.now();
    var body = { position: media.currentTime };
    if (isFinite(media.duration)) { body.duration = media.duration; }
    call("PUT", "entries/" + id + "/playback/", body).then(function () {
      player.setAttribute("data-saved-position", String(body.position));
    }, function () { /* the next save tries again */ });
  }

  function restore(player, media) {
    if (player.restored) { return; }
    player.restored = true;
    media.playbackRate = storedSpeed();
    var select = player.querySelector("[data-player-speed]");
    if (select) { select.value = String(media.playbackRate); }
    var id = player.getAttribute("data-entry-id");
    if (!id) { return; }
    call("GET", "entries/" + id + "/playback/").then(function (data) {
      var at = data && data.position;
      var end = isFinite(media.duration) ? media.duration : data.duration;
      if (at > 1 && (!end || at < end - 2) && media.currentTime < 1) {
        media.currentTime = at;
        status(player, str("resumed-at", "Resumed at") + " " + clock(at));
      }
      player.setAttribute("data-restored", "1");
    }, function () { player.setAttribute("data-restored", "1"); });
  }

  function finished(player, media) {
    save(player, media);
    var id = player.getAttribute("data-entry-id");
    if (!id || player.getAttribute("data-mark-read") !== "1") { return; }
    call("PATCH", "entries/" + id + "/", { read: true }).then(function () {
      var view = player.closest("[data-entry-view]");
      if (view) { view.setAttribute("data-read", "1"); }
      status(player, str("played-marked-read", "Played to the end: marked as read"));
    }, function () { /* stays unread */ });
  }

  doc.addEventListener("loadedmetadata", function (event) {
    var player = playerOf(event.target);
    if (player) { restore(player, event.target); }
  }, true);
  doc.addEventListener("timeupdate", function (event) {
    var player = playerOf(event.target);
    if (player && !event.target.paused && Date.now() - (player.lastSave || 0) >= SAVE_EVERY_MS) {
      save(player, event.target);
    }
  }, true);
  doc.addEventListener("pause", function (event) {
    var player = playerOf(event.target);
    if (player && !event.target.ended) { save(player, event.target); }
  }, true);
  doc.addEventListener("ended", function (event) {
    var player = playerOf(event.target);
    if (player) { finished(player, event.target); }
  }, true);
  doc.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("[data-player-speed]")) { return; }
    var player = playerOf(select);
    var media = player && player.querySelector("audio, video");
    var rate = parseFloat(select.value) || 1;
    if (media) { media.playbackRate = rate; }
    try { window.localStorage.setItem(SPEED_KEY, String(rate)); } catch (e) { /* private mode */ }
  });

  /* "Show images": the reader chose click-to-load; addresses wait in data-src/data-srcset. */
  doc.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest('[data-action="load-images"]');
    if (!button) { return; }
    var scope = button.closest(".entry-view") || doc;
    scope.querySelectorAll(".entry-content [data-srcset]").forEach(function (el) {
      el.setAttribute("srcset", el.getAttribute("data-srcset"));
      el.removeAttribute("data-srcset");
    });
    scope.querySelectorAll(".entry-content [data-src]").forEach(function (el) {
      el.setAttribute("src", el.getAttribute("data-src"));
      el.removeAttribute("data-src");
    });
    scope.querySelectorAll(".entry-content [data-remote-image]").forEach(function (el) {
      el.removeAttribute("data-remote-image");
    });
    var note = button.closest("[data-remote-images]");
    if (note) { note.hidden = true; }
  });
})();
