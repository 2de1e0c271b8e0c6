// The moderation screen's keyboard shortcuts (consult moderate --web). The page works without
// this file: every action is a plain form. Keys act only when a contribution itself has the
// focus (never inside a field, never with a modifier), so they do not take keys from screen
// readers' browse modes or from typing; no accesskey.
(function () {
  "use strict";
  var items = function () { return Array.prototype.slice.call(document.querySelectorAll("article.item")); };

  function move(item, step) {
    var all = items();
    var next = all[all.indexOf(item) + step];
    if (next) { next.focus(); }
  }

  function onKey(event) {
    var item = event.currentTarget;
    if (event.target !== item || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    var acted = true;
    if (key === "j") { move(item, 1); }
    else if (key === "k") { move(item, -1); }
    else if (key === "a") { item.querySelector("button.approve").click(); }
    else if (key === "r") { item.querySelector("select.reason").focus(); }
    else if (key === "x") { var box = item.querySelector("input[name=ids]"); box.checked = !box.checked; }
    else if (key === "u") { var undo = document.getElementById("undo"); if (undo && !undo.disabled) { undo.click(); } }
    else { acted = false; }
    if (acted) { event.preventDefault(); }
  }

  function start() {
    items().forEach(function (item) { item.addEventListener("keydown", onKey); });
    // After a decision the server sends us back to the next contribution (#item-ID): focus it.
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && target.matches("article.item")) { target.focus(); }
    else if (document.getElementById("notice")) { document.getElementById("notice").setAttribute("tabindex", "-1"); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
