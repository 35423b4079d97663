// Optional: the editor keeps a copy of unsaved text on the server, every few seconds while it changes
// and when the page is hidden. The copy never changes the live post; the editor offers it back
// ("You have unsaved changes from ...") the next time it opens. Without JavaScript nothing autosaves.
(function () {
  "use strict";
  // Words shown to people come from the page (blog/js_strings.py), in the site's language.
  var T = JSON.parse((document.getElementById("i18n") || {}).textContent || "{}");
  function fill(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, function (match, name) { return values[name]; });
  }
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("autosave-status");
  var seconds = parseInt(form.dataset.autosaveSeconds, 10) || 30;
  var changed = false;
  var timer = null;
  var saving = null;  // the autosave request on its way, if any

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function textLength() {
    var total = 0;
    for (var i = 0; i < form.elements.length; i += 1) {
      if (form.elements[i].type !== "file") { total += (form.elements[i].value || "").length; }
    }
    return total * 3;  // UTF-8 takes up to three bytes for each UTF-16 unit
  }

  function typedText() {
    // The text only: a picture chosen for "Upload image" goes up with that button, not with every autosave.
    var data = new FormData(form);
    var files = [];
    data.forEach(function (value, name) { if (typeof value !== "string") { files.push(name); } });
    files.forEach(function (name) { data.delete(name); });
    return data;
  }

  function schedule() {
    if (!timer) { timer = window.setTimeout(function () { timer = null; save(false); }, seconds * 1000); }
  }

  function save(leaving) {
    if (!changed) { return; }
    if (saving) { schedule(); return; }  // a new post must not be created twice by overlapping saves
    changed = false;
    saving = window.fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body: typedText(),
      credentials: "same-origin",
      headers: {"Accept": "application/json"},
      // A page being closed only finishes a request marked keepalive, and browsers allow those 64 KB.
      keepalive: leaving && textLength() < 60000
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") !== 0) { throw new Error("not saved"); }
      return response.json();
    }).then(function (saved) {
      if (form.dataset.autosaveUrl !== saved.autosave_url) {
        // The first autosave of a new post created it as a draft: from now on, work on that post.
        form.dataset.autosaveUrl = saved.autosave_url;
        form.action = saved.edit_url;
        window.history.replaceState(null, "", saved.edit_url);
      }
      say(fill(T.kept_at, {time: saved.saved_at_text}));
    }).catch(function () {
      changed = true;
      say(T.not_kept);
    }).then(function () {
      saving = null;
    });
  }

  form.addEventListener("input", function () {
    changed = true;
    schedule();
  });
  if (form.hasAttribute("data-unsaved")) {
    // The page came back with text the author has not saved (an image added to the body): keep a copy.
    changed = true;
    schedule();
  }
  form.addEventListener("submit", function (event) {
    if (saving) {
      // Wait for it: the first autosave of a new post creates the draft this button must act on.
      event.preventDefault();
      var button = event.submitter;
      saving.then(function () { form.requestSubmit(button); });
      return;
    }
    // The author saves (or previews) the text now: nothing is left for the autosave to keep.
    changed = false;
    if (timer) { window.clearTimeout(timer); timer = null; }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { save(true); }
  });
  window.addEventListener("pagehide", function () { save(true); });
})();
