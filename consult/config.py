"""site.yaml -> Config.

`parse_config(text, path)` is pure and reports every problem at once;
`load_config(root)` reads the file and calls it. Each setting (default, type, doc,
place in site.yaml) is declared once, as a field of `consult.model.Config`: the
schema checked here and the values read derive from it. Defaults follow the French
public-service use: language fr, Europe/Paris, the five usual proposal statuses.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from consult import colors
from consult.document import YamlDoc, cleaned, parse_yaml
from consult.errors import ConsultError, SourceError, french, say, split_warnings
from consult.layout import CONFIG_FILE
# site.yaml's settings are model data (a Site carries them): this module reads them, and names them
# for its callers as before.
from consult.model import DEFAULT_PROPOSAL_STATUSES, DEFAULT_REASONS, Config, Organisation, ThemeOptions
from consult.schema import Field, check_mapping, converted, present, read_settings, schema_fields

LANGUAGES = ("fr", "en")


# The schema of each mapping, derived from the settings' declarations (consult.model.Config).
TOP_FIELDS = schema_fields(Config)  # `theme` may be a mapping of THEME_FIELDS too: see _top_fields
ORGANISATION_FIELDS = schema_fields(Organisation)
FORMS_FIELDS = schema_fields(Config, "forms")
MODERATION_FIELDS = schema_fields(Config, "moderation")
PRIVACY_FIELDS = schema_fields(Config, "privacy")
ACCESSIBILITY_FIELDS = schema_fields(Config, "accessibility")
OPEN_DATA_FIELDS = schema_fields(Config, "open_data")
THEME_FIELDS = {"name": Field("str"), **schema_fields(ThemeOptions)}  # `name` is Config.theme
LOGO_FIELDS = schema_fields(ThemeOptions, "logo")
# The shapes of a list's items (no defaults of their own: what they hold is read in _build).
STATUS_FIELDS = {"id": Field("slug", required=True), "label": Field("str", required=True), "final": Field("bool"),
                 "merged": Field("bool")}
LINK_FIELDS = {"title": Field("str", required=True), "url": Field("str", required=True)}
SECTIONS = {"organisation": ORGANISATION_FIELDS, "forms": FORMS_FIELDS, "moderation": MODERATION_FIELDS,
            "privacy": PRIVACY_FIELDS, "accessibility": ACCESSIBILITY_FIELDS, "open_data": OPEN_DATA_FIELDS}
STATEMENT_LISTS = ("non_conformities", "disproportionate_burden", "exempt")
ACCESSIBILITY_STATUSES = ("full", "partial", "none")


def parse_config(text: str, path: str = CONFIG_FILE) -> Config:
    """site.yaml's text as a Config, or every problem raised when one is an error."""
    config, problems = read_config(text, path)
    if split_warnings(problems)[0] or config is None:
        raise ConsultError(problems)
    return config


def read_config(text: str, path: str = CONFIG_FILE, root: Path | None = None) -> tuple[Config | None, list[SourceError]]:
    """Every problem in site.yaml, and a Config when the file is usable despite them
    (an unknown key, say), so that content/ can still be checked in the same run.
    With `root`, a file the theme names (logo, favicon) missing from its static/ is a warning."""
    doc, problems = parse_yaml(text, path)
    doc.data, _ = cleaned(text, doc.data)  # the site's title, names, labels show on every page
    if doc.data is None:
        return None, problems
    data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
    problems += check_mapping(doc, (), doc.data, _top_fields(data), path)
    values = dict(converted(data, TOP_FIELDS))  # what _build reads: dates parsed, `data` left as it is
    for name, fields in SECTIONS.items():
        if present(data, name, "dict"):
            problems += check_mapping(doc, (name,), data[name], fields, say(f"'{name}'", f"« {name} »"))
            values[name] = converted(data[name], fields)
    problems += _check_values(doc, data)
    problems += _check_theme(doc, data.get("theme"), root)
    try:
        config: Config | None = _build(values, path)
        if config is not None and (config.language not in LANGUAGES or not config.tz):
            config = None
    except (KeyError, TypeError, ValueError, AttributeError, ZoneInfoNotFoundError):
        config = None
    return config, problems


def _check_values(doc: YamlDoc, data: dict[str, Any]) -> list[SourceError]:
    problems = []
    language = data.get("language", Config.language)
    if language not in LANGUAGES:
        problems.append(doc.error(("language",), say(f"unsupported language {language!r}",
                                                     f"langue non prise en charge « {language} »"),
                                  say("use 'fr' or 'en'", "indiquez « fr » ou « en »")))
    problems += _check_urls(doc, data)
    timezone = data.get("timezone", Config.timezone)
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(doc.error(("timezone",), say(f"unknown time zone {timezone!r}",
                                                     f"fuseau horaire inconnu « {timezone} »"),
                                  say("e.g. 'Europe/Paris'", "par exemple « Europe/Paris »")))
    statuses = data.get("proposal_statuses")
    if isinstance(statuses, list):
        seen: set[str] = set()
        for index, item in enumerate(statuses):
            at = ("proposal_statuses", index)
            found = check_mapping(doc, at, item, STATUS_FIELDS, say("a proposal status", "un statut de proposition"))
            problems += found
            if not found and item["id"] in seen:
                problems.append(doc.error(at, say(f"duplicate proposal status '{item['id']}'",
                                                  f"statut de proposition « {item['id']} » en double")))
            if not found and item.get("merged") is True and any(s.get("merged") is True for s in statuses[:index]
                                                                 if isinstance(s, dict)):
                problems.append(doc.error(at + ("merged",), say("only one proposal status can be 'merged: true'",
                                                                "un seul statut de proposition peut avoir « merged: true »"),
                                          say("consult merge gives that status to duplicates",
                                              "consult merge donne ce statut aux doublons")))
            if not found:
                seen.add(item["id"])
    moderation = data.get("moderation")
    if isinstance(moderation, dict) and isinstance(moderation.get("reasons"), list):
        for index, reason in enumerate(moderation["reasons"]):
            if not isinstance(reason, str) or not reason:
                problems.append(doc.error(("moderation", "reasons", index),
                                          say("a reason must be a code like 'hors-sujet'",
                                              "un motif doit être un code comme « hors-sujet »")))
    accessibility = data.get("accessibility")
    if isinstance(accessibility, dict) and "status" in accessibility:
        if accessibility["status"] not in ACCESSIBILITY_STATUSES:
            problems.append(
                doc.error(("accessibility", "status"),
                          say(f"unknown accessibility status {accessibility['status']!r}",
                              f"état de conformité inconnu « {accessibility['status']} »"),
                          say("use full, partial or none", "indiquez full, partial ou none"))
            )
    problems += _check_statement_lists(doc, accessibility)
    per_page = data.get("contributions_per_page")
    if isinstance(per_page, int) and per_page < 1:
        problems.append(doc.error(("contributions_per_page",), say("contributions_per_page must be at least 1",
                                                                   "contributions_per_page doit valoir au moins 1")))
    return problems


def _top_fields(data: dict[str, Any]) -> dict[str, Field]:
    """TOP_FIELDS, with `theme` a mapping when it is one (`theme: default` stays valid)."""
    return dict(TOP_FIELDS, theme=Field("dict")) if isinstance(data.get("theme"), dict) else TOP_FIELDS


def _check_theme(doc: YamlDoc, theme: Any, root: Path | None) -> list[SourceError]:
    """The theme mapping: known fields, files that exist, colours that pass WCAG AA where the theme uses them."""
    if not isinstance(theme, dict):
        return []
    problems = check_mapping(doc, ("theme",), theme, THEME_FIELDS, say("'theme'", "« theme »"))
    if present(theme, "logo", "dict"):
        found = check_mapping(doc, ("theme", "logo"), theme["logo"], LOGO_FIELDS, say("'theme.logo'", "« theme.logo »"))
        problems += found or _check_static_file(doc, ("theme", "logo", "file"), theme["logo"]["file"], root)
    if present(theme, "favicon", "str"):
        problems += _check_static_file(doc, ("theme", "favicon"), theme["favicon"], root)
    links: list[Any] = theme["header_links"] if present(theme, "header_links", "list") else []
    for index, link in enumerate(links):
        found = check_mapping(doc, ("theme", "header_links", index), link, LINK_FIELDS,
                              say("a header link", "un lien de l'en-tête"))
        if not found and not link["url"].startswith(("https://", "http://", "/")):
            found = [doc.error(("theme", "header_links", index, "url"),
                               say(f"a header link's url must start with https://, http:// or /, not {link['url']!r}",
                                   f"le champ url d'un lien de l'en-tête doit commencer par https://, http:// ou /, "
                                   f"pas « {link['url']} »"))]
        problems += found
    for name, (against, ratio, where) in THEME_COLORS.items():
        if present(theme, name, "str"):
            problems += _check_color(doc, ("theme", name), theme[name], against, ratio, where)
    return problems


# Where the default theme uses each colour, against what, at which WCAG AA ratio.
THEME_COLORS = {
    "primary_color": ((colors.WHITE, colors.SURFACE), colors.TEXT_RATIO,
                      say("links on white and on the header's light grey, white text on buttons",
                          "les liens sur le blanc et sur le gris clair de l'en-tête, le texte blanc des boutons")),
    "focus_color": ((colors.WHITE, colors.SURFACE), colors.NON_TEXT_RATIO,
                    say("the focus ring around links, buttons and fields",
                        "le contour qui entoure les liens, boutons et champs sélectionnés au clavier")),
}


def _check_color(doc: YamlDoc, at: tuple[str, ...], value: str, against: tuple[str, ...], ratio: float,
                 where: str) -> list[SourceError]:
    if not colors.is_hex(value):
        return [doc.error(at, say(f"{at[-1]} must be a colour like '#1a4f8b', not {value!r}",
                                  f"{at[-1]} doit être une couleur comme « #1a4f8b », pas « {value} »"))]
    if colors.passes(value, against, ratio):
        return []
    worst = min(colors.contrast(value, other) for other in against)
    nearest = colors.nearest_passing(value, against, ratio)
    message = say(f"{at[-1]} {value} fails WCAG AA contrast: {worst:.1f}:1 where {ratio:g}:1 is needed ({where})",
                  f"{at[-1]} {value} n'atteint pas le contraste WCAG AA : {worst:.1f}:1 alors que {ratio:g}:1 "
                  f"est requis ({french(where)})")
    hint = (say(f"the nearest shade that passes is '{nearest}'", f"la nuance la plus proche qui l'atteint est « {nearest} »")
            if nearest else say("choose a darker colour", "choisissez une couleur plus foncée"))
    return [doc.error(at, message, hint)]


def _check_static_file(doc: YamlDoc, at: tuple[Any, ...], name: str, root: Path | None) -> list[SourceError]:
    """`name` must be a plain path inside the site's static/ folder, and (with `root`) exist there."""
    parts = Path(name).parts
    if not name or Path(name).is_absolute() or ".." in parts:
        return [doc.error(at, say(f"{name!r} must be a file name inside static/, e.g. 'logo.svg'",
                                  f"« {name} » doit être un nom de fichier dans static/, par exemple « logo.svg »"))]
    if root is not None and not (root / "static" / name).is_file():
        # A warning (an error under --strict): the site still reads, with the text alternative in
        # place of the image; and commands that need no page (pull, moderate) are not stopped.
        return [replace(doc.error(at, say(f"file not found: static/{name}", f"fichier introuvable : static/{name}"),
                                  say("put the file in the site's static/ folder",
                                      "placez le fichier dans le dossier static/ du site")),
                        warning=True)]
    return []


def _theme_options(theme: Any) -> dict[str, Any]:
    """Config keyword arguments from `theme:` (a name, or a mapping)."""
    if isinstance(theme, str):
        return {"theme": theme}
    if not isinstance(theme, dict):
        return {}
    values = read_settings(ThemeOptions, theme, skip=("header_links",))
    for name in THEME_COLORS:
        if values.get(name):
            values[name] = colors.normalise(values[name])
    links = tuple((link["title"], link["url"]) for link in theme.get("header_links") or ())
    return {"theme": theme.get("name") or Config.theme, "theme_options": ThemeOptions(**values, header_links=links)}


def _check_statement_lists(doc: YamlDoc, accessibility: Any) -> list[SourceError]:
    """The statement's lists of inaccessible content hold sentences, one per item."""
    if not isinstance(accessibility, dict):
        return []
    problems = []
    for name in STATEMENT_LISTS:
        items = accessibility.get(name)
        for index, item in enumerate(items if isinstance(items, list) else ()):
            if not isinstance(item, str) or not item.strip():
                problems.append(doc.error(("accessibility", name, index),
                                          say(f"each item of '{name}' must be a sentence",
                                              f"chaque élément de « {name} » doit être une phrase"),
                                          say("write it as text, e.g. '- Les cartes ne sont pas accessibles.'",
                                              "écrivez-le comme du texte, par exemple "
                                              "« - Les cartes ne sont pas accessibles. »")))
    return problems


# -- URLs: what a page links to, where its forms post, the site's own address ----------------------

# Settings the pages turn into links: an http, https or mailto URL, or a path on the site. Any other
# scheme (javascript:, data:, ...) would run or show something else in every visitor's browser.
LINK_SETTINGS = (("organisation", "url"), ("organisation", "contact_url"), ("accessibility", "defender_url"),
                 ("open_data", "licence_url"))
# Contacts: an address or a name, shown as text, but a link when they hold '://' (render._statement).
CONTACT_SETTINGS = (("accessibility", "contact"), ("privacy", "dpo_contact"))
LINK_SCHEMES = ("http", "https", "mailto")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _check_urls(doc: YamlDoc, data: dict[str, Any]) -> list[SourceError]:
    """base_url a plain absolute http(s) URL; links http, https or mailto; forms posted to this site."""
    problems = []
    base_url = data.get("base_url")
    if isinstance(base_url, str) and _origin(base_url) is None:
        problems.append(doc.error(("base_url",), say("base_url must be a plain absolute URL like https://consultations.example.org",
                                                     "base_url doit être une simple adresse absolue comme "
                                                     "https://consultations.example.org"),
                                  say("http:// or https://, a host name; no spaces, user, password, query or fragment",
                                      "http:// ou https://, puis un nom de domaine ; sans espace, identifiant, "
                                      "mot de passe, paramètres (?) ni ancre (#)")))
    for at in LINK_SETTINGS + CONTACT_SETTINGS:
        section = data.get(at[0])
        value = section.get(at[1]) if isinstance(section, dict) else None
        if not isinstance(value, str) or not value or (at in CONTACT_SETTINGS and "://" not in value):
            continue
        scheme = _scheme(value)
        if scheme is None or scheme not in LINK_SCHEMES + ("",):
            dotted = ".".join(at)
            shown = (say(f"not '{scheme}:'", f"pas « {scheme}: »") if scheme else
                     say("not spaces, backslashes or control characters",
                         "sans espace, barre oblique inverse ni caractère de contrôle"))
            problems.append(doc.error(at, say(f"'{dotted}' must be an http, https or mailto URL, {shown}",
                                              f"« {dotted} » doit être une adresse http, https ou mailto, {french(shown)}")))
    forms = data.get("forms")
    if isinstance(forms, dict) and isinstance(forms.get("endpoint"), str):
        problems += _check_endpoint(doc, forms, base_url if isinstance(base_url, str) else "")
    return problems


ENDPOINT_FORM = say("forms.endpoint must be a path like /api/submit or an http(s) URL",
                    "forms.endpoint doit être un chemin comme /api/submit ou une adresse http(s)")


def _check_endpoint(doc: YamlDoc, forms: dict[str, Any], base_url: str) -> list[SourceError]:
    """The form endpoint: a path on this site, or an http(s) URL of the site's own origin (the
    browser sends citizens' texts there) unless `forms.allow_other_origin: true` says otherwise."""
    endpoint, at = forms["endpoint"], ("forms", "endpoint")
    scheme = _scheme(endpoint)
    if scheme is None or scheme not in ("http", "https", "") or not (scheme or endpoint.startswith("/")):
        return [doc.error(at, ENDPOINT_FORM)]
    if not (scheme or endpoint.startswith("//")):
        return []
    own = _origin(base_url)
    target = _origin(endpoint if scheme else f"{own[0] if own else 'https'}:{endpoint}")
    if target is None:
        return [doc.error(at, ENDPOINT_FORM)]
    if own is not None and target != own and forms.get("allow_other_origin") is not True:
        port = f":{target[2]}" if target[2] != DEFAULT_PORTS[target[0]] else ""
        origin = f"{target[0]}://{target[1]}{port}"
        return [doc.error(at, say(f"forms.endpoint posts to {origin}, another site than base_url",
                                  f"forms.endpoint envoie les formulaires à {origin}, un autre site que base_url"),
                          say("citizens' texts would go there: set forms.allow_other_origin: true if your form handler "
                              "really lives there",
                              "les textes des participants y seraient envoyés : indiquez forms.allow_other_origin: true "
                              "si votre service de réception des formulaires s'y trouve vraiment"))]
    return []


def _scheme(url: str) -> str | None:
    """The URL's scheme, lowercase ('' for a relative URL); None when it holds a space, a control
    character (browsers drop some of them) or a backslash (browsers read '/\\host' as '//host'): what
    they would see is not what was checked. None too for a URL that will not parse."""
    if any(ch.isspace() or ch == "\\" or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in url):
        return None
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:
        return None


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a plain absolute http(s) URL; None for anything else (a user or
    password, a query or fragment, a missing host, spaces or control characters)."""
    scheme = _scheme(url)
    if scheme is None or scheme not in DEFAULT_PORTS or any(ch in url for ch in "?#@"):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    if not parts.hostname or not url.lower().startswith(f"{scheme}://"):
        return None
    return scheme, parts.hostname.lower(), port


# Settings whose value is more than a copy of what site.yaml says: _build reads them itself.
READ_BY_HAND = ("base_url", "organisation", "theme", "proposal_statuses")


def _build(data: dict[str, Any], path: str) -> Config:
    """The Config of a checked site.yaml (its dates parsed); raises KeyError, TypeError, ... when a
    value it needs is missing or of the wrong type (`read_config` has reported it)."""
    return Config(
        **read_settings(Config, data, skip=READ_BY_HAND),
        base_url=data["base_url"].rstrip("/"),
        organisation=Organisation(**read_settings(Organisation, data["organisation"])),
        **_statuses(data.get("proposal_statuses") or ()),
        **_theme_options(data.get("theme")),
        source=path,
    )


def _statuses(items: Any) -> dict[str, Any]:
    """`proposal_statuses:` as Config keyword arguments: (id, label) pairs, the final ones (the
    merged one included) and the merged one; none listed: the defaults."""
    if not items:
        return {}
    merged = next((s["id"] for s in items if s.get("merged") is True), "")
    return {
        "proposal_statuses": tuple((s["id"], s["label"]) for s in items),
        "final_statuses": tuple(s["id"] for s in items if s.get("final") is True or s["id"] == merged),
        "merged_status": merged,
    }


def site_language(root: Path) -> str:
    """The site's language for the tool's messages and the problems said to its editors; the
    default (French) when site.yaml cannot say."""
    from consult.i18n import DEFAULT_LANGUAGE

    try:
        config, _ = load_config(root)
    except ConsultError:
        return DEFAULT_LANGUAGE
    return config.language if config is not None else DEFAULT_LANGUAGE


def load_config(root: Path) -> tuple[Config | None, list[SourceError]]:
    """Read site.yaml: (config or None, problems). See `read_config`."""
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConsultError(say(f"{CONFIG_FILE} not found in {root} (run 'consult init DIR' to create a site)",
                               f"{CONFIG_FILE} introuvable dans {root} (lancez « consult init DIR » pour créer un site)"))
    except UnicodeDecodeError as exc:
        return None, [SourceError(CONFIG_FILE, 1, 1, say(f"not valid UTF-8: {exc}",
                                                         f"le fichier n'est pas en UTF-8 valide : {exc}"))]
    return read_config(text, CONFIG_FILE, root)


def require_config(root: Path) -> Config:
    """site.yaml as a Config, or every problem in it raised (for commands that need a valid one)."""
    config, problems = load_config(root)
    if split_warnings(problems)[0] or config is None:
        raise ConsultError(problems)
    return config


def parse_now(value: str | None, config: Config) -> datetime:
    """'2026-12-01T12:00' (site time zone unless one is given) or the current time."""
    if value is None:
        return datetime.now(config.tz)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConsultError(say(f"--now {value!r} is not a date-time like 2026-12-01T12:00",
                               f"--now « {value} » n'est pas une date et une heure comme 2026-12-01T12:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=config.tz)


# Themes whose use the law reserves: the DSFR (themes/dsfr/) is the French State's visual identity.
RESERVED_THEMES = {"dsfr": ("check.dsfr_reserved", "check.dsfr_hint")}


def reserved_theme_notice(root: Path, config: Config) -> str:
    """`consult check`'s reminder, in the site's language, when site.yaml chooses a theme reserved
    to State entities ('' otherwise): 'site.yaml:LINE:COL: message (hint)' at the theme's name.
    A notice, not a warning: a State site that chose it rightly keeps `--strict` usable."""
    if config.theme not in RESERVED_THEMES:
        return ""
    from consult.i18n import translate

    message, hint = (translate(config.language, key) for key in RESERVED_THEMES[config.theme])
    doc, _ = parse_yaml((root / CONFIG_FILE).read_text(encoding="utf-8"), CONFIG_FILE)
    data = doc.data if isinstance(doc.data, dict) else {}
    where = ("theme", "name") if isinstance(data.get("theme"), dict) else ("theme",)
    return str(doc.error(where, message, hint))
