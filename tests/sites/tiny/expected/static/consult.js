/* consult: progressive enhancement only. Every form works without this file. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  function hidden(form, name) {
    var input = form.querySelector('input[name="' + name + '"]');
    return input ? input.value : "";
  }

  function fillToken(form) {
    var field = form.querySelector('input[name="token"]');
    var url = form.getAttribute("data-token-url");
    if (!field || field.value || !url || !window.fetch) {
      return;
    }
    // A token is bound to its form: the handler flags one used on another consultation or kind.
    url += (url.indexOf("?") < 0 ? "?" : "&") + "consultation=" + encodeURIComponent(hidden(form, "consultation")) +
      "&kind=" + encodeURIComponent(hidden(form, "kind"));
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && typeof data.token === "string" && !field.value) {
          field.value = data.token;
        }
      })
      .catch(function () { /* the handler copes without a token */ });
  }

  // A thank-you page links back to the page the citizen came from: the handler names it in ?back=.
  // Only a same-site path made of slugs is taken; anything else leaves the link to the consultations.
  var SAME_SITE_PATH = /^\/(?:[a-z0-9][a-z0-9-]*\/)*$/;

  function linkBack(link) {
    if (!window.URLSearchParams) {
      return;
    }
    var back = new window.URLSearchParams(window.location.search).get("back");
    if (back && SAME_SITE_PATH.test(back)) {
      link.setAttribute("href", back);
      link.textContent = link.getAttribute("data-back");
    }
  }

  ready(function () {
    var back = document.querySelector("a[data-back]");
    if (back) {
      linkBack(back);
    }
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
    var forms = document.querySelectorAll("form[data-token-url]");
    for (var i = 0; i < forms.length; i += 1) {
      var key = forms[i].querySelector('input[name="idempotency_key"]');
      if (key && !key.value) {
        key.value = newKey();
      }
      fillToken(forms[i]);
    }
  });
})();
