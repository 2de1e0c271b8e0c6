/* consult: a consultation's proposals filtered, sorted and paged in place, without a request per
   choice. Progressive enhancement only: every control is a link to a pre-rendered page showing
   the same list (consult/facets.py); this script fetches that list's data once
   (propositions/index.json, whose cards come from the pages' own template), then shows any choice
   at once, says how many proposals in the status line (role="status": screen readers announce it),
   and puts the choice's address in the location bar, so Back, a reload and a shared link work. */
(function () {
  "use strict";

  var root = document.querySelector(".facets[data-facets]");
  if (!root || !window.fetch || !window.history || !window.history.pushState ||
      !("content" in document.createElement("template"))) {
    return;
  }
  var list = root.querySelector(".facets__list");
  var status = root.querySelector(".facets__status");
  var pager = root.querySelector(".facets__pagination");
  var base = root.getAttribute("data-base");
  var perPage = parseInt(root.getAttribute("data-per-page"), 10) || 20;
  var DEFAULT_SORT = "soutiens";
  var data = null;

  function text(name) {
    return root.getAttribute("data-" + name) || "";
  }

  function countText(count) {
    // The plural rule of consult/i18n.py: French counts 0 and 1 as singular, English only 1.
    var french = (document.documentElement.lang || "fr").slice(0, 2) === "fr";
    var one = french ? count < 2 : count === 1;
    return text(one ? "count-one" : "count-other").replace("{count}", String(count));
  }

  // The state of the list an address shows: propositions/[tri/<sort>/ | <facet>/<value>/][<n>/][?tri=<sort>].
  function stateOf(location) {
    var rest = location.pathname.indexOf(base) === 0 ? location.pathname.slice(base.length) : "";
    var parts = rest.split("/").filter(Boolean);
    var state = { facet: "", value: "", sort: DEFAULT_SORT, page: 1 };
    if (parts.length && /^[0-9]+$/.test(parts[parts.length - 1])) {
      state.page = parseInt(parts.pop(), 10);
    }
    if (parts.length === 2 && parts[0] === "tri") {
      state.sort = parts[1];
    } else if (parts.length === 2) {
      state.facet = parts[0];
      state.value = parts[1];
    }
    var query = new URLSearchParams(location.search).get("tri");
    if (query && state.facet) {
      state.sort = query;
    }
    return state;
  }

  function urlOf(state, page) {
    var url = base;
    if (state.facet) {
      url += state.facet + "/" + state.value + "/";
    } else if (state.sort !== DEFAULT_SORT) {
      url += "tri/" + state.sort + "/";
    }
    if (page > 1) {
      url += page + "/";
    }
    return state.facet && state.sort !== DEFAULT_SORT ? url + "?tri=" + encodeURIComponent(state.sort) : url;
  }

  // consult/render.py's page_window: the first, the last and one either side of the current page.
  function pageWindow(number, total) {
    var wanted = [];
    for (var n = 1; n <= total; n++) {
      if (n === 1 || n === total || Math.abs(n - number) <= 1) {
        wanted.push(n);
      }
    }
    var shown = [];
    wanted.forEach(function (n) {
      var last = shown.length ? shown[shown.length - 1] : null;
      if (last !== null && n - last === 2) {
        shown.push(n - 1);
      } else if (last !== null && n - last > 2) {
        shown.push(0);
      }
      shown.push(n);
    });
    return shown;
  }

  function link(href, label, attributes) {
    var a = document.createElement("a");
    a.href = href;
    Object.keys(attributes).forEach(function (name) { a.setAttribute(name, attributes[name]); });
    a.append(label);
    return a;
  }

  // The markup of the pagination macro (partials/items.html): its links are read back by stateOf.
  function pagination(state, number, total) {
    if (total < 2) {
      return null;
    }
    var nav = document.createElement("nav");
    nav.className = "pagination";
    nav.setAttribute("aria-label", text("pages-label"));
    var ul = document.createElement("ul");
    function item(child, className) {
      var li = document.createElement("li");
      if (className) {
        li.className = className;
      }
      li.append(child);
      ul.append(li);
    }
    if (number > 1) {
      item(link(urlOf(state, number - 1), text("previous"), { rel: "prev" }));
    }
    pageWindow(number, total).forEach(function (n) {
      if (!n) {
        item("…", "pagination__gap");
        return;
      }
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = text("page");
      var attributes = {};
      if (n === number) {
        attributes["aria-current"] = "page";
      }
      var a = link(urlOf(state, n), hidden, attributes);
      a.append(" " + n);
      item(a);
    });
    if (number < total) {
      item(link(urlOf(state, number + 1), text("next"), { rel: "next" }));
    }
    nav.append(ul);
    return nav;
  }

  function mark(state) {
    root.querySelectorAll(".facets__controls a").forEach(function (a) {
      var current = a.hasAttribute("data-sort") ? a.getAttribute("data-sort") === state.sort
        : a.getAttribute("data-facet") === state.facet && a.getAttribute("data-value") === state.value;
      if (current) {
        a.setAttribute("aria-current", "true");
      } else {
        a.removeAttribute("aria-current");
      }
    });
  }

  function show(state) {
    var order = data.orders[state.sort] || data.orders[DEFAULT_SORT];
    var matching = order.filter(function (i) { return !state.facet || data.items[i][state.facet] === state.value; });
    var total = Math.max(1, Math.ceil(matching.length / perPage));
    var number = Math.min(Math.max(1, state.page), total);
    var template = document.createElement("template");
    template.innerHTML = matching.slice((number - 1) * perPage, number * perPage)
      .map(function (i) { return data.items[i].html; }).join("\n");
    list.replaceChildren(template.content);
    var said = countText(matching.length);
    if (total > 1) {
      said += ", " + text("position").replace("{number}", String(number)).replace("{total}", String(total));
    }
    status.textContent = said;
    var nav = pagination(state, number, total);
    pager.replaceChildren.apply(pager, nav ? [nav] : []);
    mark(state);
    return number;
  }

  var current = stateOf(window.location);

  function choose(state, focus) {
    current = state;
    state.page = show(state);
    window.history.pushState(state, "", urlOf(state, state.page));
    if (focus) {
      list.setAttribute("tabindex", "-1");
      list.focus();
    }
  }

  root.addEventListener("click", function (event) {
    var a = event.target.closest("a[data-facet], a[data-sort], .facets__pagination a");
    if (!a || !data || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;  // before the data has come, or to open a new tab: the link does it
    }
    event.preventDefault();
    var paging = !a.hasAttribute("data-facet") && !a.hasAttribute("data-sort");
    // A page link names its whole list (the pre-rendered ones as well as those shown here).
    var next = paging ? stateOf(new URL(a.href, window.location.href))
      : { facet: current.facet, value: current.value, sort: current.sort, page: 1 };
    if (paging) {
      next.page = next.page || 1;
    } else if (a.hasAttribute("data-sort")) {
      next.sort = a.getAttribute("data-sort");
    } else {
      next.facet = a.getAttribute("data-facet");
      next.value = a.getAttribute("data-value") || "";
    }
    choose(next, paging);
  });

  window.addEventListener("popstate", function (event) {
    if (data) {
      current = event.state || stateOf(window.location);
      show(current);
    }
  });

  window.fetch(root.getAttribute("data-facets"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (loaded) {
      if (!loaded || !loaded.orders || !loaded.items) {
        return;
      }
      data = loaded;
      root.setAttribute("data-ready", "");
      window.history.replaceState(current, "", window.location.href);
      if (window.location.search) {  // a filter and a sort at once: no page shows that, this does
        show(current);
      }
    })
    .catch(function () { /* the links still lead to the pre-rendered lists */ });
}());
