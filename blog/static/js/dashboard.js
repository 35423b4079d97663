// The dashboard's menu on phones: Escape or a click outside closes it. Without this script the
// <details> menu opens and closes with its "Menu" button alone.
(function () {
  "use strict";
  var menu = document.querySelector(".dash-menu");
  if (!menu) {
    return;
  }
  function close(focusButton) {
    if (!menu.open) {
      return;
    }
    menu.open = false;
    if (focusButton) {
      menu.querySelector("summary").focus();
    }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.contains(document.activeElement)) {
      close(true);
    }
  });
  document.addEventListener("click", function (event) {
    if (!menu.contains(event.target)) {
      close(false);
    }
  });
}());
