/* consult: the search page. Pagefind's index (pagefind/, written by `consult build`) is searched
   here in the browser; the page shows its form only once the index has loaded, and otherwise
   keeps its links to the lists. Results are built with DOM calls: an excerpt's text is copied,
   only Pagefind's <mark> highlights are kept as elements. */
(function () {
  "use strict";

  var form = document.querySelector("form.search[data-pagefind]");
  if (!form) {
    return;
  }
  var input = form.querySelector('input[name="q"]');
  var status = document.querySelector(".search__status");
  var results = document.querySelector(".search__results");
  var fallback = document.querySelector(".search__fallback");
  var pagefind = null;
  var asked = 0;  // the latest search: an older one that answers late is dropped

  function said(count, query) {
    var french = (document.documentElement.lang || "fr").slice(0, 2) === "fr";
    var one = french ? count < 2 : count === 1;
    return status.getAttribute(one ? "data-count-one" : "data-count-other")
      .replace("{count}", String(count)).replace("{query}", query);
  }

  // Pagefind's excerpt is HTML: its text, and its <mark> elements, nothing else.
  function excerpt(html) {
    var p = document.createElement("p");
    var parsed = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html").body;
    parsed.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        p.append(mark);
      } else {
        p.append(node.textContent);
      }
    });
    return p;
  }

  function result(data) {
    var li = document.createElement("li");
    li.className = "search__result";
    var heading = document.createElement("h2");
    var a = document.createElement("a");
    var url = String(data.url || "");
    a.href = /^\/(?!\/)/.test(url) ? url : "/";  // a path of this site only
    a.textContent = (data.meta && data.meta.title) || url;
    heading.append(a);
    li.append(heading, excerpt(data.excerpt || ""));
    return li;
  }

  function search(query) {
    var mine = ++asked;
    results.replaceChildren();
    if (!query.trim()) {
      status.textContent = "";
      return;
    }
    status.textContent = status.getAttribute("data-searching");
    pagefind.search(query)
      .then(function (found) {
        return Promise.all(found.results.map(function (r) { return r.data(); }));
      })
      .then(function (pages) {
        if (mine !== asked) {
          return;
        }
        results.replaceChildren.apply(results, pages.map(result));
        status.textContent = said(pages.length, query);
      });
  }

  function unavailable() {
    fallback.querySelector(".search__nojs").hidden = true;
    fallback.querySelector(".search__unavailable").hidden = false;
  }

  import(form.getAttribute("data-pagefind"))
    .then(function (module) {
      pagefind = module;
      return pagefind.init ? pagefind.init() : null;
    })
    .then(function () {
      form.hidden = false;
      fallback.hidden = true;
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var query = input.value;
        var url = new URL(window.location.href);
        url.searchParams.set("q", query);
        window.history.replaceState(null, "", url.pathname + url.search);
        search(query);
      });
      var query = new URLSearchParams(window.location.search).get("q");
      if (query) {
        input.value = query;
        search(query);
      }
    })
    .catch(unavailable);
}());
