"""`consult report SLUG`: the results page and the synthesis of a consultation as one PDF, for a council.

The pages are the site's own (built in memory by `check_site`), printed with the site's print
stylesheet by WeasyPrint, an optional extra (`pip install 'consult-static[pdf]'`): without it the
command says how to install it. Nothing is fetched from the network: every URL resolves to the
built files or to nothing. The PDF is tagged (PDF/UA-1) so a screen reader can follow it.
"""

from __future__ import annotations

import mimetypes
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

from consult.build import check_site
from consult.errors import ConsultError, say
from consult.layout import consultation_url, output_path, results_url

BASE = "https://consult.invalid/"  # a host that never resolves: built files are served from memory


def report_pages(files: dict[str, bytes], slug: str, shows_results: bool, has_synthesis: bool) -> list[str]:
    """The output paths that make the report, in order: the results page, then the consultation page
    when it holds a synthesis. An error when there is neither."""
    url = consultation_url(slug)
    pages = ([output_path(results_url(url))] if shows_results else []) + ([output_path(url)] if has_synthesis else [])
    if not pages:
        raise ConsultError(say(f"consultation '{slug}' has no results page now (see its 'results' setting) "
                               "and no synthesis: nothing to print",
                               f"la consultation « {slug} » n'a pour le moment ni page de résultats (voir son "
                               "réglage « results ») ni synthèse : rien à imprimer"))
    return [page for page in pages if page in files]


def write_report(root: Path, slug: str, out: Path, now: str | datetime | None = None, compress: bool = True) -> Path:
    """Write the PDF of consultation `slug` to `out`; returns `out`. Its outline (bookmarks) has the
    pages' headings; `compress=False` leaves the PDF's streams readable (for tests)."""
    try:
        import weasyprint  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ConsultError(say("consult report needs WeasyPrint: pip install 'consult-static[pdf]' "
                               "(it uses the Pango library of the system)",
                               "consult report a besoin de WeasyPrint : pip install 'consult-static[pdf]' "
                               "(il utilise la bibliothèque Pango du système)")) from None
    checked = check_site(root, now)
    try:
        consultation = checked.site.consultation(slug)
    except StopIteration:
        known = ", ".join(c.slug for c in checked.site.consultations)
        raise ConsultError(say(f"no consultation '{slug}' (existing: {known})",
                               f"pas de consultation « {slug} » (existantes : {known})")) from None
    files = checked.files

    def fetch(url: str) -> Any:
        if url.startswith("data:"):  # the stylesheet's inline icons; urllib decodes data: URLs, no network
            with urllib.request.urlopen(url) as inline:
                return weasyprint.urls.URLFetcherResponse(url, inline.read(), {"Content-Type": inline.headers.get_content_type()})
        path = url.removeprefix(BASE).split("#", 1)[0].split("?", 1)[0]
        data = files.get(path) or files.get(path.rstrip("/") + "/index.html") or b""
        mime = mimetypes.guess_type(path)[0] or "text/html"
        return weasyprint.urls.URLFetcherResponse(url, data, {"Content-Type": mime})

    documents = [weasyprint.HTML(string=files[page].decode("utf-8"), base_url=BASE + page, url_fetcher=fetch,
                                 media_type="print").render(pdf_variant="pdf/ua-1")
                 for page in report_pages(files, slug, consultation.shows_results, consultation.synthesis is not None)]
    pages = [page for document in documents for page in document.pages]
    out.parent.mkdir(parents=True, exist_ok=True)
    documents[0].copy(pages).write_pdf(out, pdf_variant="pdf/ua-1", uncompressed_pdf=not compress)
    return out
