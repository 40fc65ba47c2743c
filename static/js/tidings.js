/* Tidings web UI: a small script over server-rendered pages (no framework, no inline script).
 * Every action calls the REST API under /api/v1/ with the session cookie and the CSRF token;
 * without JavaScript the same controls are plain links and forms. */
(function () {
  "use strict";

  var API = "/api/v1/";
  var doc = document;

  function $(sel, root) { return (root || doc).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(sel)); }
  function str(key, fallback) {
    var el = doc.getElementById("js-strings");
    var attr = el && el.getAttribute("data-" + key);
    return attr || fallback || key;
  }
  function csrfToken() {
    var meta = $('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* ---- Toast --------------------------------------------------------- */
  /* Success toasts fade after a few seconds; error toasts (role="alert") stay until closed. */
  var toastTimer = null;
  function closeButton(onClose) {
    var button = doc.createElement("button");
    button.type = "button";
    button.className = "toast-close";
    button.setAttribute("aria-label", str("dismiss", "Dismiss"));
    button.title = str("dismiss", "Dismiss");
    button.textContent = "\u00d7";
    button.addEventListener("click", onClose);
    return button;
  }
  function toast(message, kind) {
    if (kind === "error") {
      var box = $(".toast-error");
      if (!box) { return; }
      box.textContent = "";
      var text = doc.createElement("span");
      text.textContent = message;
      box.appendChild(text);
      box.appendChild(closeButton(function () { box.hidden = true; }));
      box.hidden = false;
      return;
    }
    var el = $(".toast:not(.toast-error)");
    if (!el) { return; }
    el.textContent = message;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 2600);
  }

  /* ---- API ----------------------------------------------------------- */
  function api(method, path, body) {
    var headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (response) {
      if (response.status === 204) { return {}; }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error((data && data.detail) || str("error"));
          error.status = response.status;
          error.data = data;
          throw error;
        }
        return data;
      });
    }, function () {
      throw new Error(str("offline"));
    });
  }
  function fail(error) { toast((error && error.message) || str("error"), "error"); }

  /* ---- Unread counts in the sidebar ---------------------------------- */
  function countEls(key) { return $$('[data-count-for="' + key + '"]'); }
  function getCount(key) {
    var el = countEls(key)[0];
    return el ? parseInt(el.getAttribute("data-count") || "0", 10) || 0 : 0;
  }
  function setCount(key, value) {
    value = Math.max(0, value);
    countEls(key).forEach(function (el) {
      el.setAttribute("data-count", String(value));
      el.textContent = value > 0 ? String(value) : "";
    });
  }
  function addCount(key, delta) { if (countEls(key).length) { setCount(key, getCount(key) + delta); } }
  function adjustUnread(subId, catId, delta) {
    if (subId) { addCount("sub-" + subId, delta); }
    if (catId) { addCount("cat-" + catId, delta); }
    addCount("unread", delta);
    updateTitle();
  }
  function updateTitle() {
    var reader = $(".reader");
    if (!reader) { return; }
    var base = reader.getAttribute("data-title") || doc.title.replace(/^\(\d+\)\s*/, "");
    var total = getCount("unread");
    doc.title = (total > 0 ? "(" + total + ") " : "") + base;
  }
  /* Ask the server for fresh counts (after bulk actions); tolerant of the response shape. */
  function refreshCounts() {
    return api("GET", "unread-counts/").then(function (data) {
      var subs = data.subscriptions || data.by_subscription || {};
      var cats = data.categories || data.by_category || {};
      if (Array.isArray(subs)) {
        subs.forEach(function (row) { setCount("sub-" + (row.subscription || row.id), row.unread || row.count || 0); });
      } else {
        Object.keys(subs).forEach(function (id) { setCount("sub-" + id, subs[id]); });
      }
      if (Array.isArray(cats)) {
        cats.forEach(function (row) { setCount("cat-" + (row.category || row.id), row.unread || row.count || 0); });
      } else {
        Object.keys(cats).forEach(function (id) { setCount("cat-" + id, cats[id]); });
      }
      var total = data.total !== undefined ? data.total : data.unread;
      if (total !== undefined) { setCount("unread", total); }
      updateTitle();
    }).catch(function () { /* counts stay as they are */ });
  }

  /* ---- Reader -------------------------------------------------------- */
  var reader = null;
  function items() { return $$(".entry-item"); }
  function selectedItem() { return $(".entry-item.is-selected"); }
  function itemFor(entryId) { return $('.entry-item[data-entry-id="' + entryId + '"]'); }
  function currentView() { return $(".pane-entry [data-entry-view]"); }

  function select(item, scroll) {
    items().forEach(function (el) { el.classList.remove("is-selected"); });
    if (!item) { return; }
    item.classList.add("is-selected");
    if (scroll !== false) { item.scrollIntoView({ block: "nearest" }); }
  }

  function setPane(name) { if (reader) { reader.setAttribute("data-pane", name); } }

  function setItemRead(item, read) {
    if (!item) { return; }
    item.classList.toggle("is-read", read);
    item.classList.toggle("is-unread", !read);
  }

  function syncViewButtons(view, read, starred) {
    if (!view) { return; }
    if (read !== null) {
      view.setAttribute("data-read", read ? "1" : "0");
      $$('[data-action="toggle-read"]', view).forEach(function (btn) {
        btn.setAttribute("aria-pressed", read ? "false" : "true");
        var label = $(".label", btn);
        if (label) { label.textContent = read ? str("mark-unread") : str("mark-read"); }
        btn.setAttribute("title", (read ? str("mark-unread") : str("mark-read")) + " (m)");
      });
    }
    if (starred !== null) {
      view.setAttribute("data-starred", starred ? "1" : "0");
      $$('[data-action="toggle-star"]', view).forEach(function (btn) {
        btn.setAttribute("aria-pressed", starred ? "true" : "false");
        var label = $(".label", btn);
        if (label) { label.textContent = starred ? str("unstar") : str("star"); }
        btn.setAttribute("title", (starred ? str("unstar") : str("star")) + " (s)");
      });
    }
  }

  /* Mark read/unread through the API; updates the list item, the view and the counts. */
  function setRead(entryId, read, meta) {
    var item = itemFor(entryId);
    var view = currentView();
    var wasRead = item ? item.classList.contains("is-read")
      : (view && view.getAttribute("data-entry-id") === String(entryId) && view.getAttribute("data-read") === "1");
    if (wasRead === read) { return Promise.resolve(); }
    var subId = (item && item.getAttribute("data-sub-id")) || (meta && meta.subId);
    var catId = (item && item.getAttribute("data-cat-id")) || (meta && meta.catId);
    setItemRead(item, read);
    if (view && view.getAttribute("data-entry-id") === String(entryId)) { syncViewButtons(view, read, null); }
    adjustUnread(subId, catId, read ? -1 : 1);
    return api("PATCH", "entries/" + entryId + "/", { read: read }).catch(function (error) {
      setItemRead(item, !read);
      if (view && view.getAttribute("data-entry-id") === String(entryId)) { syncViewButtons(view, !read, null); }
      adjustUnread(subId, catId, read ? 1 : -1);
      fail(error);
    });
  }

  function setStarred(entryId, starred) {
    var item = itemFor(entryId);
    var view = currentView();
    function apply(value) {
      if (item) {
        item.setAttribute("data-starred", value ? "1" : "0");
        var mark = $(".e-star", item);
        if (mark) { mark.hidden = !value; }
      }
      if (view && view.getAttribute("data-entry-id") === String(entryId)) { syncViewButtons(view, null, value); }
      addCount("starred", value ? 1 : -1);
    }
    apply(starred);
    return api("PATCH", "entries/" + entryId + "/", { starred: starred }).catch(function (error) {
      apply(!starred);
      fail(error);
    });
  }

  function viewMeta(view) {
    return { subId: view.getAttribute("data-sub-id"), catId: view.getAttribute("data-cat-id") };
  }

  /* Load an entry into the reading pane without a full page load. */
  var openToken = 0;
  function openItem(item, push) {
    if (!item) { return; }
    var link = $("a[data-open]", item);
    if (!link) { return; }
    select(item);
    if (reader.getAttribute("data-mark-read-on-open") === "1" && item.classList.contains("is-unread")) {
      setRead(item.getAttribute("data-entry-id"), true);
    }
    var url = link.getAttribute("href");
    var paneUrl = url + (url.indexOf("?") >= 0 ? "&" : "?") + "partial=entry";
    var pane = $(".pane-entry");
    var token = ++openToken;
    return fetch(paneUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(str("error")); }
        return response.text();
      })
      .then(function (html) {
        if (token !== openToken) { return; } /* a later j/k press won: drop this answer */
        pane.innerHTML = html;
        pane.scrollTop = 0;
        setPane("entry");
        if (push !== false) { history.pushState({ entry: item.getAttribute("data-entry-id") }, "", url); }
        /* The pane may have been rendered before the read mark landed: show the item's state. */
        syncViewButtons(currentView(), item.classList.contains("is-read"), item.getAttribute("data-starred") === "1");
      })
      .catch(function () { if (token === openToken) { window.location.href = url; } });
  }

  function move(delta) {
    var list = items();
    if (!list.length) { return; }
    var index = list.indexOf(selectedItem());
    var next = index < 0 ? (delta > 0 ? 0 : list.length - 1) : index + delta;
    if (next < 0 || next >= list.length) {
      if (delta > 0) { toast(str("no-more")); }
      return;
    }
    openItem(list[next]);
  }

  function moveSubscription(delta) {
    var links = $$(".pane-sidebar .side-sub > .side-link");
    if (!links.length) { return; }
    var index = links.findIndex(function (a) { return a.getAttribute("aria-current") === "page"; });
    var next = index < 0 ? (delta > 0 ? 0 : links.length - 1) : index + delta;
    if (next >= 0 && next < links.length) { window.location.href = links[next].getAttribute("href"); }
  }

  function activeEntryId() {
    var view = currentView();
    if (view) { return view.getAttribute("data-entry-id"); }
    var item = selectedItem();
    return item ? item.getAttribute("data-entry-id") : null;
  }

  function toggleRead() {
    var view = currentView();
    var id = activeEntryId();
    if (!id) { return; }
    var item = itemFor(id);
    var read = item ? item.classList.contains("is-read") : view && view.getAttribute("data-read") === "1";
    setRead(id, !read, view ? viewMeta(view) : null);
  }

  function toggleStar() {
    var view = currentView();
    var id = activeEntryId();
    if (!id) { return; }
    var item = itemFor(id);
    var starred = item ? item.getAttribute("data-starred") === "1" : view && view.getAttribute("data-starred") === "1";
    setStarred(id, !starred);
  }

  function openOriginal() {
    var view = currentView();
    var link = view && $("a[data-original]", view);
    var url = link ? link.getAttribute("href") : null;
    if (!url) {
      var item = selectedItem();
      url = item && item.getAttribute("data-url");
    }
    if (url) { window.open(url, "_blank", "noopener,noreferrer"); }
  }

  function markAllRead(form) {
    form = form || $('form[data-js="mark-all-read"]');
    if (!form) { return; }
    if (!window.confirm(str("confirm-mark-all"))) { return; }
    var body = {};
    ["subscription_id", "category_id", "before", "max_entry_id"].forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      if (input && input.value) { body[name] = /^\d+$/.test(input.value) ? parseInt(input.value, 10) : input.value; }
    });
    return api("POST", "mark-all-read/", body).then(function () {
      items().forEach(function (item) { setItemRead(item, true); });
      var view = currentView();
      if (view) { syncViewButtons(view, true, null); }
      if (body.subscription_id) {
        var subKey = "sub-" + body.subscription_id;
        var n = getCount(subKey);
        var cat = form.getAttribute("data-cat-id");
        setCount(subKey, 0);
        if (cat) { addCount("cat-" + cat, -n); }
        addCount("unread", -n);
      } else if (body.category_id !== undefined) {
        var catKey = "cat-" + body.category_id;
        var m = getCount(catKey);
        setCount(catKey, 0);
        $$('[data-count-for^="sub-"][data-cat="' + body.category_id + '"]').forEach(function (el) { setCount(el.getAttribute("data-count-for"), 0); });
        addCount("unread", -m);
      } else {
        $$("[data-count-for]").forEach(function (el) {
          if (el.getAttribute("data-count-for") !== "starred") { setCount(el.getAttribute("data-count-for"), 0); }
        });
      }
      updateTitle();
      toast(str("marked-all"));
      refreshCounts();
    }).catch(fail);
  }

  function copyLink(button) {
    var url = button.getAttribute("data-link");
    function done() { toast(str("copied")); }
    function failed() { toast(str("copy-failed"), "error"); }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(done, function () { fallbackCopy(url) ? done() : failed(); });
    } else {
      if (fallbackCopy(url)) { done(); } else { failed(); }
    }
  }
  function fallbackCopy(text) {
    var area = doc.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    doc.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = doc.execCommand("copy"); } catch (e) { ok = false; }
    doc.body.removeChild(area);
    return ok;
  }

  function initReader() {
    reader = $(".reader");
    if (!reader) { return; }
    reader.setAttribute("data-title", doc.title.replace(/^\(\d+\)\s*/, ""));
    var view = currentView();
    if (view) {
      var item = itemFor(view.getAttribute("data-entry-id"));
      if (item) { select(item); }
    }
    updateTitle();
    reader.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-open]");
      if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
        event.preventDefault();
        openItem(link.closest(".entry-item"));
        return;
      }
      var back = event.target.closest('[data-action="back"]');
      if (back) {
        event.preventDefault();
        setPane("list");
        var sel = selectedItem();
        if (sel) { sel.scrollIntoView({ block: "nearest" }); }
        return;
      }
      var refresh = event.target.closest('[data-action="refresh"]');
      if (refresh) { event.preventDefault(); refreshNow(refresh); return; }
      var showSide = event.target.closest('[data-action="show-sidebar"]');
      if (showSide) { event.preventDefault(); setPane("sidebar"); return; }
      var copy = event.target.closest('[data-action="copy-link"]');
      if (copy) { event.preventDefault(); copyLink(copy); }
    });
    reader.addEventListener("submit", function (event) {
      var form = event.target;
      var kind = form.getAttribute("data-js");
      if (!kind) { return; }
      event.preventDefault();
      if (kind === "toggle-read") { toggleRead(); }
      else if (kind === "toggle-star") { toggleStar(); }
      else if (kind === "mark-all-read") { markAllRead(form); }
    });
    window.addEventListener("popstate", function () { window.location.reload(); });
  }

  /* ---- Directory: one-click subscribe / unsubscribe ----------------- */
  function initDirectory() {
    doc.addEventListener("submit", function (event) {
      var form = event.target;
      var kind = form.getAttribute("data-js");
      if (kind !== "subscribe" && kind !== "unsubscribe") { return; }
      event.preventDefault();
      var button = $("button", form);
      button.disabled = true;
      var card = form.closest(".source-card");
      var counter = card && $(".subscriber-count", card);
      var path = "directory/" + form.getAttribute("data-source-id") + "/subscribe/";
      var request = api(kind === "subscribe" ? "POST" : "DELETE", path);
      request.then(function (data) {
        if (kind === "subscribe") {
          form.setAttribute("data-js", "unsubscribe");
          button.textContent = str("unsubscribe");
          button.classList.add("button-quiet");
          toast(str("subscribed"));
        } else {
          form.setAttribute("data-js", "subscribe");
          button.textContent = str("subscribe");
          button.classList.remove("button-quiet");
          toast(str("unsubscribed"));
        }
        if (counter) {
          var n = (parseInt(counter.getAttribute("data-count"), 10) || 0) + (kind === "subscribe" ? 1 : -1);
          counter.setAttribute("data-count", String(Math.max(0, n)));
          counter.textContent = counter.textContent.replace(/\d+/, String(Math.max(0, n)));
        }
      }).catch(function (error) {
        if (error.status === 409 && kind === "subscribe") { toast(str("subscribed")); return; }
        fail(error);
      }).then(function () { button.disabled = false; });
    });
  }

  /* ---- OPML import with a progress bar ------------------------------ */
  function initImport() {
    var form = $('form[data-js="opml-import"]');
    if (!form) { return; }
    var box = $("#import-progress");
    var bar = $("progress", box);
    var status = $(".import-status", box);
    var results = $(".import-results", box);
    var pending = $(".import-pending", box);
    function count(job, name, fallback) {
      return job[name] !== undefined ? job[name] : (fallback || 0);
    }
    function render(job) {
      var total = job.total || 0;
      var processed = job.processed || 0;
      bar.max = Math.max(total, 1);
      bar.value = total ? processed : 0;
      status.textContent = status.getAttribute("data-template")
        .replace("{processed}", processed).replace("{total}", total)
        .replace("{added}", count(job, "added_count", job.created_count))
        .replace("{subscribed}", count(job, "subscribed_count"))
        .replace("{skipped}", count(job, "skipped_outline_count", job.skipped_count))
        .replace("{failed}", count(job, "failed_count", (job.failures || []).length));
      var waiting = count(job, "fetch_pending_count");
      pending.hidden = !waiting;
      pending.textContent = waiting ? pending.getAttribute("data-template").replace("{pending}", waiting) : "";
      results.innerHTML = "";
      var problems = job.outlines ? job.outlines.filter(function (outline) {
        return outline.status === "failed" || outline.status === "fetch_failed" || outline.status === "skipped";
      }) : (job.failures || []).map(function (failure) {
        return { url: failure.url, reason: failure.reason, status: "failed", status_label: "" };
      });
      problems.forEach(function (outline) {
        var li = doc.createElement("li");
        li.setAttribute("data-status", outline.status);
        var label = doc.createElement("span");
        label.className = outline.status === "skipped" ? "muted" : "failed";
        label.textContent = outline.status_label || "";
        var name = doc.createElement("span");
        name.textContent = outline.title || outline.url || "";
        var reason = doc.createElement("span");
        reason.className = "import-reason";
        reason.textContent = outline.reason || "";
        li.appendChild(label);
        li.appendChild(name);
        if (outline.title && outline.url) {
          var url = doc.createElement("span");
          url.className = "muted";
          url.textContent = outline.url;
          li.appendChild(url);
        }
        li.appendChild(reason);
        results.appendChild(li);
      });
      if (job.warning) { $(".import-warning", box).textContent = job.warning; }
    }
    // After the job, keep following the added feeds' first fetches for a while.
    function follow(jobId, rounds) {
      api("GET", "opml/import/" + jobId + "/").then(function (job) {
        render(job);
        if (job.fetch_pending_count && rounds > 0) {
          setTimeout(function () { follow(jobId, rounds - 1); }, 3000);
        }
      }).catch(function () { /* the summary shown stays */ });
    }
    function poll(jobId) {
      api("GET", "opml/import/" + jobId + "/").then(function (job) {
        render(job);
        if (job.status === "done" || job.status === "failed") {
          box.setAttribute("data-status", job.status);
          bar.value = bar.max;
          if (job.status === "done") { toast(str("import-done")); } else { toast(str("import-failed"), "error"); }
          if (job.error) { $(".import-warning", box).textContent = job.error; }
          refreshCounts();
          if (job.fetch_pending_count) { setTimeout(function () { follow(jobId, 60); }, 3000); }
          return;
        }
        setTimeout(function () { poll(jobId); }, 700);
      }).catch(fail);
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      box.hidden = false;
      box.setAttribute("data-status", "running");
      api("POST", "opml/import/", data).then(function (job) {
        render(job);
        poll(job.id);
      }).catch(function (error) { box.setAttribute("data-status", "failed"); fail(error); });
    });
  }

  /* ---- Subscriptions page: add by URL (with a choice among discovered feeds) ---- */
  function initAddSubscription() {
    var form = $('form[data-js="add-subscription"]');
    if (!form) { return; }
    var box = $(".candidates-box");
    var list = box && $(".candidates", box);
    var status = $(".add-status");
    function subscribe(url) {
      var category = form.querySelector('[name="category"]').value;
      var body = { url: url };
      if (category) { body.category_id = parseInt(category, 10); }
      var start = form.querySelector('[name="unread_start"]');
      if (start && start.value) { body.unread_start = start.value; }
      var button = $('button[type="submit"]', form);
      button.disabled = true;
      if (status) { status.textContent = str("looking"); status.hidden = false; }
      return api("POST", "subscriptions/", body).then(function (sub) {
        toast(str("subscribed"));
        window.location.href = "/reader/?show=all&sub=" + sub.id;
      }).catch(function (error) {
        button.disabled = false;
        if (status) { status.hidden = true; }
        var data = error.data || {};
        if (data.code === "discovery_choice" && data.candidates && box) {
          list.innerHTML = "";
          data.candidates.forEach(function (candidate) {
            var li = doc.createElement("li");
            var pick = doc.createElement("button");
            pick.type = "button";
            pick.className = "button button-small";
            pick.textContent = str("subscribe");
            pick.addEventListener("click", function () { subscribe(candidate.url); });
            var label = doc.createElement("span");
            var strong = doc.createElement("strong");
            strong.textContent = candidate.title || candidate.url;
            var small = doc.createElement("span");
            small.className = "muted small";
            small.textContent = candidate.url;
            label.appendChild(strong);
            label.appendChild(doc.createElement("br"));
            label.appendChild(small);
            li.appendChild(pick);
            li.appendChild(label);
            list.appendChild(li);
          });
          box.hidden = false;
          return;
        }
        if (data.code === "subscription_exists" && data.subscription_id) {
          window.location.href = "/reader/?show=all&sub=" + data.subscription_id;
          return;
        }
        fail(error);
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      subscribe(form.querySelector('[name="url"]').value.trim());
    });
  }

  /* ---- Subscriptions page: select all ------------------------------- */
  function initSubscriptions() {
    var all = $('input[data-js="select-all"]');
    if (!all) { return; }
    all.addEventListener("change", function () {
      $$('input[name="ids"]').forEach(function (box) { box.checked = all.checked; });
    });
    $$("[data-confirm]").forEach(function (el) {
      var form = el.closest("form");
      if (!form) { return; }
      el.addEventListener("click", function (event) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  /* ---- Flash messages: a close button on each; on the reader (where they float) the
   * non-error ones fade after 4 s, errors stay until closed. ---------------------------- */
  function initMessages() {
    var box = $(".messages");
    if (!box) { return; }
    function tidy() {
      if (!$$(".message", box).some(function (m) { return !m.hidden; })) { box.hidden = true; }
    }
    $$(".message", box).forEach(function (message) {
      message.appendChild(closeButton(function () { message.hidden = true; tidy(); }));
      if (doc.body.classList.contains("reader-page") && !message.classList.contains("message-error")) {
        setTimeout(function () { message.hidden = true; tidy(); }, 4000);
      }
    });
  }

  /* ---- Copy buttons: <button data-copy-from="#id" hidden> copies an input's value or an
   * element's text; hidden without JavaScript, where the text stays selectable. ---------- */
  function initCopyButtons() {
    $$("[data-copy-from]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = $(button.getAttribute("data-copy-from"));
        if (!source) { return; }
        var text = source.value !== undefined ? source.value : source.textContent;
        function done() {
          button.setAttribute("data-copied", "1");
          toast(str("copied-text", "Copied"));
        }
        function failed() { toast(str("copy-failed-text", "Could not copy"), "error"); }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text) ? done() : failed(); });
        } else if (fallbackCopy(text)) { done(); } else { failed(); }
      });
    });
  }

  /* ---- Live updates -------------------------------------------------- */
  /* A light poll of /api/v1/unread-counts/ with If-None-Match (an unchanged answer is an
   * empty 304): once a minute (data-live-seconds) while the tab is visible, never while it
   * is hidden; every 2 s while a fetch the user started runs (?watch= adds its state).
   * When that fetch ends, the parts of the page that show it are rendered again by the
   * server (the same page, fetched in the background) and swapped in. Without JavaScript
   * the page says that the fetch runs and offers a reload. */
  var live = { etag: "", timer: null, last: 0, watches: {}, busy: false };
  var FAST_MS = 2000;
  var WATCH_MS = 120000;
  function idleMs() {
    var el = $("[data-live-seconds]");
    var seconds = el ? parseFloat(el.getAttribute("data-live-seconds")) : 0;
    return seconds > 0 ? seconds * 1000 : 0;
  }
  function watching() { return Object.keys(live.watches); }
  function liveSchedule() {
    clearTimeout(live.timer);
    live.timer = null;
    if (doc.hidden) { return; }
    var wait = watching().length ? FAST_MS : idleMs();
    if (!wait) { return; }
    var due = Math.max(0, live.last + wait - Date.now());
    live.timer = setTimeout(livePoll, due);
  }
  function applyCounts(data) {
    (data.subscriptions || []).forEach(function (row) { setCount("sub-" + row.id, row.unread); });
    (data.categories || []).forEach(function (row) { if (row.id !== null) { setCount("cat-" + row.id, row.unread); } });
    setCount("unread", data.total || 0);
    setCount("starred", data.starred || 0);
    updateTitle();
  }
  function livePoll() {
    if (live.busy || doc.hidden) { liveSchedule(); return; }
    live.busy = true;
    live.last = Date.now();
    var ids = watching();
    var headers = { Accept: "application/json" };
    if (live.etag) { headers["If-None-Match"] = live.etag; }
    var path = API + "unread-counts/" + (ids.length ? "?watch=" + ids.join(",") : "");
    fetch(path, { credentials: "same-origin", cache: "no-store", headers: headers }).then(function (response) {
      if (response.status === 304 || !response.ok) { return null; }
      live.etag = response.headers.get("ETag") || "";
      return response.json();
    }).then(function (data) {
      if (data) {
        applyCounts(data);
        (data.fetches || []).forEach(fetchProgress);
      }
      ids.forEach(function (id) {  /* gave up waiting (or not the user's): stop fast polling */
        var watch = live.watches[id];
        if (watch && Date.now() - watch.started > WATCH_MS) { delete live.watches[id]; }
      });
    }).catch(function () { /* offline: try again at the next tick */ }).then(function () {
      live.busy = false;
      liveSchedule();
    });
  }
  function fetchProgress(state) {
    var watch = live.watches[state.id];
    if (!watch || !state.last_fetched_at || state.last_fetched_at === watch.before) { return; }
    delete live.watches[state.id];
    live.etag = "";
    refreshParts(state.id);
  }
  /* Render the page again in the background and swap in what a finished fetch changes. */
  function refreshParts(subId) {
    var url = new URL(window.location.href);
    url.searchParams.set("opened", "1");  /* never marks the open entry read again */
    var parts = reader ? [".pane-sidebar", ".pane-list"] : ["#sub-" + subId];
    return fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      parts.forEach(function (sel) {
        var now = $(sel);
        var next = fresh.querySelector(sel);
        if (now && next) { now.innerHTML = next.innerHTML; }
      });
      if (reader) {
        var view = currentView();
        var item = view && itemFor(view.getAttribute("data-entry-id"));
        if (item) { select(item); }
        updateTitle();
      }
      hideBrokenThumbs();
      doc.dispatchEvent(new CustomEvent("tidings:parts-refreshed", { detail: { subscriptionId: subId } }));
    }).catch(function () { /* the reload link stays */ });
  }
  /* "Refresh" in the list head: in a subscription, fetch its feed now (the REST "refresh now",
   * which answers when the fetch is done), then show the list again; elsewhere, show the list
   * and counts again without reloading the page. Without JavaScript it is a plain reload. */
  function refreshNow(link) {
    if (link.getAttribute("aria-busy") === "true") { return; }
    var subId = link.getAttribute("data-sub-id");
    link.setAttribute("aria-busy", "true");
    var work = subId ? api("POST", "subscriptions/" + subId + "/refresh/").then(function (result) {
      if (result.error) { toast(result.error, "error"); }
    }) : Promise.resolve();
    work.catch(fail).then(function () { return refreshParts(subId); }).then(function () {
      link.removeAttribute("aria-busy");
    });
  }
  /* Wait for the fetch of subscription ``id``: done when its feed's last_fetched_at differs
   * from ``before`` (null: never fetched). */
  function watchFetch(id, before) {
    if (!id) { return; }
    live.watches[id] = { before: before || null, started: Date.now() };
    live.last = 0;
    liveSchedule();
  }
  function initLive() {
    $$("[data-fetch-pending]").forEach(function (el) { watchFetch(el.getAttribute("data-fetch-pending"), null); });
    doc.addEventListener("tidings:fetch-started", function (event) {
      var detail = event.detail || {};
      watchFetch(String(detail.subscriptionId), detail.lastFetchedAt);
    });
    doc.addEventListener("visibilitychange", function () {
      if (doc.hidden) { clearTimeout(live.timer); live.timer = null; } else { liveSchedule(); }
    });
    live.last = Date.now();  /* the page itself is fresh */
    if (watching().length) { live.last = 0; }
    liveSchedule();
  }

  /* ---- Thumbnails that fail to load are hidden (no broken-image box) ---- */
  function hideBrokenThumbs() {
    $$("img.e-thumb").forEach(function (img) {
      if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) { img.hidden = true; }
    });
  }
  function initThumbs() {
    doc.addEventListener("error", function (event) {
      var img = event.target;
      if (img && img.tagName === "IMG" && img.classList.contains("e-thumb")) { img.hidden = true; }
    }, true);
    hideBrokenThumbs();
  }

  /* ---- Time zone: the browser's zone preselected while the user has the default ---- */
  function initTimeZone() {
    var select = $("select[data-browser-zone]");
    if (!select) { return; }
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) { select.value = zone; }
  }

  /* ---- Keyboard shortcuts ------------------------------------------- */
  function typing(target) {
    var tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }
  var pendingG = false;
  function showHelp() {
    var dialog = $("#shortcuts-dialog");
    if (dialog && typeof dialog.showModal === "function" && !dialog.open) { dialog.showModal(); }
  }
  function go(where) {
    var link = $('[data-nav="' + where + '"]');
    window.location.href = link ? link.getAttribute("href") : "/reader/?show=" + where;
  }
  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var dialog = $("#shortcuts-dialog");
    if (dialog && dialog.open) { return; }
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "a") { go("all"); } else if (key === "u") { go("unread"); } else if (key === "s") { go("starred"); }
      event.preventDefault();
      return;
    }
    if (key === "?") { event.preventDefault(); showHelp(); return; }
    if (key === "/") {
      var search = $('[data-shortcut="search"]');
      if (search) { event.preventDefault(); search.focus(); search.select(); }
      return;
    }
    if (key === "g") { pendingG = true; setTimeout(function () { pendingG = false; }, 1500); return; }
    if (!reader) { return; }
    var handled = true;
    if (key === "j") { move(1); }
    else if (key === "k") { move(-1); }
    else if (key === "n") { moveSubscription(1); }
    else if (key === "p") { moveSubscription(-1); }
    else if (key === "o" || key === "Enter") {
      if (event.target.closest && event.target.closest("a, button")) { return; }
      openItem(selectedItem() || items()[0]);
    }
    else if (key === "v") { openOriginal(); }
    else if (key === "m") { toggleRead(); }
    else if (key === "s") { toggleStar(); }
    else if (key === "A" && event.shiftKey) { markAllRead(); }
    else if (key === "r") { window.location.reload(); }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  }

  function init() {
    $$('[data-action="shortcuts"]').forEach(function (button) { button.addEventListener("click", showHelp); });
    $$("[data-select-on-focus]").forEach(function (input) { input.addEventListener("focus", function () { input.select(); }); });
    initMessages();
    initCopyButtons();
    initReader();
    initDirectory();
    initImport();
    initSubscriptions();
    initAddSubscription();
    initThumbs();
    initTimeZone();
    initLive();
    doc.addEventListener("keydown", onKey);
  }

  if (doc.readyState === "loading") { doc.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
