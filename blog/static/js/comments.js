// Optional: "Reply" moves the comment form under the comment in place. Without JavaScript the
// link opens the article with the form set up for that reply, which works the same.
(function () {
  "use strict";
  // Words shown to people come from the page (blog/js_strings.py), in the site's language.
  var T = JSON.parse((document.getElementById("i18n") || {}).textContent || "{}");
  function fill(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, function (match, name) { return values[name]; });
  }
  var wrap = document.getElementById("comment-form");
  if (!wrap) { return; }
  var form = wrap.querySelector("form");
  var parentField = form && form.querySelector("input[name=parent_id]");
  var heading = document.getElementById("comment-form-heading");
  if (!parentField || !heading) { return; }
  var home = wrap.parentNode;
  var homeNext = wrap.nextSibling;

  function cancelLink() {
    var link = wrap.querySelector(".cancel-reply");
    if (!link) {
      var note = document.createElement("p");
      note.className = "replying-to";
      link = document.createElement("a");
      link.className = "cancel-reply";
      link.href = "#comment-form";
      link.textContent = T.cancel_reply;
      note.appendChild(link);
      heading.insertAdjacentElement("afterend", note);
    }
    return link;
  }

  document.addEventListener("click", function (event) {
    var reply = event.target.closest && event.target.closest("a.reply-link");
    if (reply) {
      event.preventDefault();
      // The comment's id and author come from its item (li#comment-<id>, its .comment-author).
      var item = reply.closest("li.comment");
      parentField.value = item.id.replace("comment-", "");
      heading.textContent = fill(T.reply_to, {name: item.querySelector(".comment-author").textContent});
      item.querySelector("article").insertAdjacentElement("afterend", wrap);
      cancelLink();
      var first = form.querySelector("textarea, input[type=text]");
      if (first) { first.focus(); }
      return;
    }
    var cancel = event.target.closest && event.target.closest("a.cancel-reply");
    if (cancel) {
      event.preventDefault();
      parentField.value = "";
      heading.textContent = T.leave_comment;
      var note = cancel.closest(".replying-to");
      if (note) { note.remove(); }
      home.insertBefore(wrap, homeNext);
    }
  });
})();
