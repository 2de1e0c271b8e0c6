/* consult: the ALTCHA widget for forms of a site with `forms.altcha: true`.
   altcha.min.js, altcha.css, workers/ and i18n/ beside this file are the npm package `altcha`
   (MIT, see LICENSE.txt; version in VERSION), vendored by scripts/vendor-altcha: every request
   stays on this site. Progressive enhancement: without JavaScript the form still posts, and the
   handler flags the submission `altcha` for a moderator instead of losing it. */
import "./altcha.min.js";
import "./i18n/fr-fr.js";

const here = new URL(".", import.meta.url);
const registry = globalThis.$altcha;

// The handler's challenges are ALTCHA's SHA ones; the "external" build ships their worker as a
// file, allowed by the site's Content-Security-Policy (script-src 'self'), where an inline blob is not.
for (const algorithm of ["SHA-256", "SHA-384", "SHA-512"]) {
  registry.algorithms.set(algorithm, () => new Worker(new URL("workers/sha.js", here)));
}
// The widget picks its language from <html lang>: "fr" is the French of France here.
registry.i18n.set("fr", registry.i18n.get("fr-fr"));

if (!document.querySelector("link[data-altcha-css]")) {
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("altcha.css", here).href;
  css.setAttribute("data-altcha-css", "");
  document.head.append(css);
}
