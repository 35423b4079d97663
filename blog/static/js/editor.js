// Optional: the editor's toolbar (Ctrl/Cmd+B, I, K), word count and reading time, a live preview beside
// the body rendered by the server's own Markdown pipeline, and pictures dropped, pasted or chosen from the
// toolbar, uploaded to the media library and inserted at the cursor once their alt text is written.
// Without JavaScript the editor is complete: "Preview" and "Upload image" post the form.
(function () {
  "use strict";
  // Words shown to people come from the page (blog/js_strings.py), in the site's language.
  var T = JSON.parse((document.getElementById("i18n") || {}).textContent || "{}");
  function fill(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, function (match, name) { return values[name]; });
  }
  var form = document.querySelector("form.editor[data-preview-url]");
  var body = form && form.querySelector("textarea[name=body]");
  if (!body || !window.fetch || !window.FormData) { return; }
  var wrapper = document.getElementById("editor-body") || body.parentNode;
  var maxBytes = parseInt(form.dataset.maxBytes, 10) || 0;
  var wordsPerMinute = parseInt(form.dataset.wordsPerMinute, 10) || 220;
  // The same rule as blog.markdown.reading_minutes: Python's \w+ on the Markdown text.
  var WORD = /[\p{L}\p{N}_]+/gu;

  function escape(text) {
    return text.replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function csrfToken() {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  // Editing the text: through the browser's own insertion where it exists, so Undo still works.
  function replaceSelection(text, selectFrom, selectTo) {
    var start = body.selectionStart;
    body.focus();
    var inserted = false;
    try { inserted = document.execCommand("insertText", false, text); } catch (error) { inserted = false; }
    if (!inserted || body.value.substr(start, text.length) !== text) {
      body.setRangeText(text, start, body.selectionEnd, "end");
      body.dispatchEvent(new Event("input", {bubbles: true}));
    }
    if (selectFrom !== undefined) { body.setSelectionRange(start + selectFrom, start + selectTo); }
  }

  function wrap(before, after, placeholder) {
    var selected = body.value.slice(body.selectionStart, body.selectionEnd) || placeholder;
    replaceSelection(before + selected + after, before.length, before.length + selected.length);
  }

  function prefixLines(prefix) {
    // The whole lines the selection touches.
    var value = body.value;
    var start = value.lastIndexOf("\n", body.selectionStart - 1) + 1;
    var end = value.indexOf("\n", body.selectionEnd);
    if (end === -1 || (body.selectionEnd > body.selectionStart && value[body.selectionEnd - 1] === "\n")) {
      end = end === -1 ? value.length : body.selectionEnd - 1;
    }
    body.setSelectionRange(start, end);
    var lines = value.slice(start, end).split("\n").map(function (line) { return prefix + line; }).join("\n");
    replaceSelection(lines, lines.length, lines.length);
  }

  function code() {
    var selected = body.value.slice(body.selectionStart, body.selectionEnd);
    if (selected.indexOf("\n") !== -1) {
      var before = body.selectionStart > 0 && body.value[body.selectionStart - 1] !== "\n" ? "\n" : "";
      replaceSelection(before + "```\n" + selected + "\n```\n", before.length + 4, before.length + 4 + selected.length);
    } else {
      wrap("`", "`", T.code_text);
    }
  }

  function link() {
    var selected = body.value.slice(body.selectionStart, body.selectionEnd) || T.link_text;
    var text = "[" + selected + "](url)";
    replaceSelection(text, selected.length + 3, text.length - 1);  // "url" selected: typed or pasted over
  }

  var TOOLS = [
    {name: "bold", label: T.bold, text: T.bold_button, key: "b", run: function () { wrap("**", "**", T.bold_text); }},
    {name: "italic", label: T.italic, text: T.italic_button, key: "i", run: function () { wrap("_", "_", T.italic_text); }},
    {name: "heading", label: T.heading, text: T.heading_button, run: function () { prefixLines("## "); }},
    {name: "link", label: T.link, text: T.link_button, key: "k", run: link},
    {name: "list", label: T.list, text: T.list_button, run: function () { prefixLines("- "); }},
    {name: "quote", label: T.quote, text: T.quote, run: function () { prefixLines("> "); }},
    {name: "code", label: T.code, text: T.code, run: code},
    {name: "image", label: T.image, text: T.image_button, run: chooseImage}
  ];

  var toolbar = element("div", {"class": "editor-toolbar", role: "group", "aria-label": T.formatting});
  TOOLS.forEach(function (tool) {
    var button = element("button", {type: "button", "class": "tool-" + tool.name, "aria-label": tool.label,
                                     title: tool.label}, tool.text);
    button.addEventListener("click", function () { tool.run(); });
    toolbar.appendChild(button);
  });
  body.parentNode.insertBefore(toolbar, body);

  body.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) { return; }
    var key = event.key.toLowerCase();
    TOOLS.forEach(function (tool) {
      if (tool.key === key) { event.preventDefault(); tool.run(); }
    });
  });

  // Word count and reading time as you type.
  var stats = element("p", {"class": "editor-stats", id: "editor-stats"});
  body.parentNode.insertBefore(stats, body.nextSibling);
  function count() {
    var words = (body.value.match(WORD) || []).length;
    var minutes = Math.max(1, Math.ceil(words / wordsPerMinute));
    stats.textContent = fill(T.words[words === 1 ? 0 : 1], {num: words}) + " · " +
      fill(T.minutes[minutes === 1 ? 0 : 1], {num: minutes});
  }

  // The live preview: what readers will get, from the server, a moment after typing stops.
  // Focusable: it scrolls when the post is long, and keyboard users must be able to scroll it too.
  var preview = element("section", {"class": "live-preview", "aria-labelledby": "live-preview-heading", tabindex: "0"});
  preview.appendChild(element("h2", {"class": "live-preview-heading", id: "live-preview-heading"}, T.live_preview));
  var rendered = element("div", {"class": "article-body live-preview-body", "aria-live": "polite"});
  preview.appendChild(rendered);
  wrapper.appendChild(preview);
  wrapper.classList.add("has-live-preview");
  var previewTimer = null;
  var previewNumber = 0;
  function refreshPreview() {
    previewNumber += 1;
    var mine = previewNumber;
    window.fetch(form.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": csrfToken()},
      body: new URLSearchParams({body: body.value})
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") !== 0) { throw new Error("no preview"); }
      return response.json();
    }).then(function (answer) {
      // The HTML is the server's, sanitised by the same allow-list as the published post.
      if (mine === previewNumber) { rendered.innerHTML = answer.html; }
    }).catch(function () {
      if (mine === previewNumber) { rendered.textContent = T.no_preview; }
    });
  }
  body.addEventListener("input", function () {
    count();
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(refreshPreview, 400);
  });
  count();
  refreshPreview();

  // Pictures: dropped on or pasted into the body, or chosen with the toolbar's Image button.
  var uploadStatus = element("p", {"class": "editor-upload-status", role: "status"});
  stats.parentNode.insertBefore(uploadStatus, stats.nextSibling);
  var dialog = null;

  function askForAlt(file, done) {
    if (!dialog) {
      dialog = element("dialog", {"class": "alt-dialog", "aria-labelledby": "alt-dialog-heading"});
      dialog.innerHTML =
        '<form method="dialog" class="form">' +
        '<h2 id="alt-dialog-heading">' + escape(T.describe_image) + '</h2>' +
        '<p class="alt-dialog-file"></p>' +
        '<div class="field"><label for="alt-dialog-text">' + escape(T.alt_text) + '</label>' +
        '<input type="text" id="alt-dialog-text" maxlength="500" aria-describedby="alt-dialog-help">' +
        '<p class="help" id="alt-dialog-help">' + escape(T.alt_help) + '</p></div>' +
        '<div class="field checkbox"><input type="checkbox" id="alt-dialog-decorative"> ' +
        '<label for="alt-dialog-decorative">' + escape(T.decorative) + '</label></div>' +
        '<p class="error" id="alt-dialog-error" role="alert"></p>' +
        '<div class="buttons"><button type="submit" value="insert" class="button primary">' + escape(T.insert_image) + '</button> ' +
        '<button type="submit" value="cancel" class="button" formnovalidate>' + escape(T.cancel) + '</button></div></form>';
      document.body.appendChild(dialog);
      dialog.querySelector("form").addEventListener("submit", function (event) {
        var text = dialog.querySelector("#alt-dialog-text");
        var decorative = dialog.querySelector("#alt-dialog-decorative");
        if (event.submitter && event.submitter.value === "insert" && !text.value.trim() && !decorative.checked) {
          event.preventDefault();
          dialog.querySelector("#alt-dialog-error").textContent = T.describe_or_decorative;
          text.focus();
        }
      });
    }
    dialog.querySelector(".alt-dialog-file").textContent = file.name || T.pasted_image;
    dialog.querySelector("#alt-dialog-text").value = "";
    dialog.querySelector("#alt-dialog-decorative").checked = false;
    dialog.querySelector("#alt-dialog-error").textContent = "";
    dialog.onclose = function () {
      if (dialog.returnValue === "insert") {
        done(dialog.querySelector("#alt-dialog-text").value.trim(), dialog.querySelector("#alt-dialog-decorative").checked);
      } else {
        body.focus();
      }
    };
    dialog.returnValue = "";
    dialog.showModal();
  }

  function uploadAndInsert(file) {
    if (maxBytes && file.size > maxBytes) { uploadStatus.textContent = form.dataset.tooLarge; return; }
    var start = body.selectionStart;
    var end = body.selectionEnd;
    askForAlt(file, function (alt, decorative) {
      var data = new FormData();
      data.append("image", file, file.name || "pasted-image.png");
      data.append("alt", alt);
      if (decorative) { data.append("decorative", "y"); }
      data.append("csrf_token", csrfToken());
      uploadStatus.textContent = fill(T.uploading, {name: file.name || T.the_image});
      window.fetch(form.dataset.uploadUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: {"Accept": "application/json", "X-CSRFToken": csrfToken()}
      }).then(function (response) {
        return response.json().catch(function () { return {error: T.upload_failed}; });
      }).then(function (answer) {
        if (!answer.markdown) { throw new Error(answer.error || T.upload_failed); }
        body.focus();
        body.setSelectionRange(start, end);
        var before = start > 0 && body.value[start - 1] !== "\n" ? "\n\n" : "";
        replaceSelection(before + answer.markdown + "\n");
        uploadStatus.textContent = T.inserted;
      }).catch(function (error) {
        uploadStatus.textContent = error.message;
        body.focus();
      });
    });
  }

  function imageIn(items) {
    for (var i = 0; i < (items ? items.length : 0); i += 1) {
      var file = items[i].getAsFile ? (items[i].kind === "file" ? items[i].getAsFile() : null) : items[i];
      if (file && /^image\//.test(file.type)) { return file; }
    }
    return null;
  }

  function chooseImage() {
    var picker = element("input", {type: "file", accept: "image/jpeg,image/png,image/webp,image/gif"});
    picker.addEventListener("change", function () {
      if (picker.files.length) { uploadAndInsert(picker.files[0]); }
    });
    picker.click();
  }

  body.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1) {
      event.preventDefault();
      wrapper.classList.add("is-dragging");
    }
  });
  body.addEventListener("dragleave", function () { wrapper.classList.remove("is-dragging"); });
  body.addEventListener("drop", function (event) {
    wrapper.classList.remove("is-dragging");
    var file = event.dataTransfer && imageIn(event.dataTransfer.files);
    if (!file) { return; }
    event.preventDefault();
    uploadAndInsert(file);
  });
  body.addEventListener("paste", function (event) {
    var file = event.clipboardData && imageIn(event.clipboardData.items);
    if (!file) { return; }
    event.preventDefault();
    uploadAndInsert(file);
  });

  // "Upload image" without the round trip's disappointment: a picture over the limit is refused here.
  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file][name=image]");
    if (event.submitter && event.submitter.name === "upload" && input && input.files.length &&
        maxBytes && input.files[0].size > maxBytes) {
      event.preventDefault();
      event.stopImmediatePropagation();
      var refusal = document.getElementById("editor-upload-refusal");
      if (!refusal) {
        refusal = element("p", {"class": "error", id: "editor-upload-refusal", role: "alert"});
        input.parentNode.appendChild(refusal);
      }
      refusal.textContent = form.dataset.tooLarge;
    }
  }, true);
})();
