"""The user-interface strings, in French (default) and English, and date formats.

Templates never hold UI text: they call `t(key, **params)`, bound to the site
language by `theme.make_environment`. Plural keys come in pairs `key.one` /
`key.other`, chosen by the `count` parameter with each language's own rule.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

DEFAULT_LANGUAGE = "fr"

MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}

def plural_form(language: str, count: int) -> str:
    """'one' or 'other': French treats 0 and 1 as singular, English only 1."""
    if language == "fr":
        return "one" if abs(count) < 2 else "other"
    return "one" if abs(count) == 1 else "other"


def translate(language: str, key: str, **params: object) -> str:
    """The text for `key` in `language`, with `{name}` placeholders filled.

    A missing key is a bug in the theme, not in the site: it raises KeyError,
    which the theme's tests catch for every template.
    """
    table = STRINGS.get(language) or STRINGS[DEFAULT_LANGUAGE]
    if "count" in params and f"{key}.one" in table:
        count = params["count"]
        key = f"{key}.{plural_form(language, count if isinstance(count, int) else 2)}"
    text = table[key]
    return text.format(**params) if params else text


def _as_local(value: date | datetime, tz: tzinfo | None) -> date | datetime:
    if isinstance(value, datetime) and tz is not None and value.tzinfo is not None:
        return value.astimezone(tz)
    return value


def format_date(value: date | datetime, language: str = DEFAULT_LANGUAGE, tz: tzinfo | None = None) -> str:
    """'1er décembre 2026', '3 mars 2027'; in English '1 December 2026'."""
    day = _as_local(value, tz)
    month = MONTHS.get(language, MONTHS["fr"])[day.month - 1]
    if language == "en":
        return f"{day.day} {month} {day.year}"
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {month} {day.year}"


def format_datetime(value: datetime, language: str = DEFAULT_LANGUAGE, tz: tzinfo | None = None) -> str:
    """'1er décembre 2026 à 14 h 05'; in English '1 December 2026, 14:05'."""
    moment = _as_local(value, tz)
    assert isinstance(moment, datetime)
    if language == "en":
        return f"{format_date(moment, language)}, {moment:%H:%M}"
    return f"{format_date(moment, language)} à {moment.hour} h {moment:%M}"


_NB = "\u00a0"  # French typography: no-break space inside « » and before : ; ? !

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        # page chrome
        "chrome.skip_link": "Aller au contenu principal",
        "chrome.nav_label": "Navigation principale",
        "chrome.nav_home": "Consultations",
        "chrome.footer_nav_label": "Liens utiles",
        "chrome.published_by": "Site publié par",
        "chrome.feed": "Flux Atom des nouveautés",
        "chrome.opendata": "Données ouvertes",
        "opendata.title": "Données ouvertes",
        "opendata.intro": "Tout ce que ce site publie est aussi disponible en fichiers CSV (UTF-8, séparateur virgule), "
        "réutilisables librement sous la licence {licence}.",
        "opendata.licence": "Texte de la licence",
        "opendata.files_heading": "Les fichiers",
        "opendata.file.consultations": "Les consultations, leurs dates et leur état",
        "opendata.file.proposals": "Les propositions, leur statut, leurs soutiens et la date de la réponse officielle",
        "opendata.file.contributions": "Les contributions publiées : suggestions, réponses aux questions et commentaires".replace(" :", f"{_NB}:"),
        "opendata.file.datapackage": "La description des fichiers (Data Package) : colonnes, types et licence".replace(" :", f"{_NB}:"),
        "opendata.scope": "Ces fichiers ne contiennent que ce qui est publié sur le site : aucune contribution en attente "
        "ou refusée, aucune adresse électronique ni aucune donnée de connexion.".replace(" :", f"{_NB}:"),
        "opendata.formulas": "Une cellule qui commence par =, +, - ou @ est précédée d'une apostrophe, pour qu'un tableur "
        "ne l'exécute pas comme une formule.",
        "chrome.accessibility.full": f"Accessibilité{_NB}: totalement conforme",
        "chrome.accessibility.partial": f"Accessibilité{_NB}: partiellement conforme",
        "chrome.accessibility.none": f"Accessibilité{_NB}: non conforme",
        # statuses and codes
        "consultation_status.upcoming": "À venir",
        "consultation_status.open": "En cours",
        "consultation_status.closed": "Terminée",
        "proposal_status.recue": "Reçue",
        "proposal_status.a-l-etude": "À l'étude",
        "proposal_status.retenue": "Retenue",
        "proposal_status.mise-en-oeuvre": "Mise en œuvre",
        "proposal_status.non-retenue": "Non retenue",
        "reason.hors-sujet": "Hors sujet",
        "reason.propos-injurieux": "Propos injurieux ou discriminatoires",
        "reason.donnees-personnelles": "Données personnelles",
        "reason.doublon": "Doublon",
        "reason.publicite": "Publicité ou démarchage",
        "question_type.text": "Réponse libre",
        "question_type.single": "Choix unique",
        "question_type.multiple": "Choix multiple",
        "question_type.scale": "Échelle",
        # home
        "home.empty": "Aucune consultation pour le moment.",
        "home.section.open": "Consultations en cours",
        "home.section.upcoming": "Consultations à venir",
        "home.section.closed": "Consultations terminées",
        "home.results_link": "Voir les résultats",
        # consultation
        "consultation.dates_from": "Du",
        "consultation.dates_to": "au",
        "consultation.categories": f"Thèmes{_NB}:",
        "consultation.synthesis": "Synthèse",
        "consultation.synthesis_published": "Publiée le",
        "consultation.proposals": "Propositions",
        "consultation.proposal_count.one": "{count} proposition",
        "consultation.proposal_count.other": "{count} propositions",
        "consultation.contribution_count.one": "{count} contribution publiée",
        "consultation.contribution_count.other": "{count} contributions publiées",
        "consultation.contribute": "Contribuer",
        "consultation.not_open_yet": "Cette consultation n'est pas encore ouverte. Vous pourrez contribuer à partir du",
        "consultation.closed_notice": "Cette consultation est terminée : il n'est plus possible de contribuer. "
        "Merci à toutes les personnes qui ont participé.".replace(" :", f"{_NB}:"),
        "consultation.no_form": "Cette consultation ne reçoit pas de contributions en ligne.",
        "consultation.contributions": "Contributions publiées",
        "consultation.no_contributions": "Aucune contribution publiée pour le moment.",
        "consultation.all_contributions.one": "Voir la contribution publiée",
        "consultation.all_contributions.other": "Voir les {count} contributions publiées",
        # contributions
        "contribution.by": "Par {author}",
        "contribution.anonymous": "Anonyme",
        "contributions.title": f"Contributions à «{_NB}{{title}}{_NB}»",
        "contributions.unpublished.one": "{count} contribution non publiée",
        "contributions.unpublished.other": "{count} contributions non publiées",
        "contributions.see_charter": "voir la charte de modération",
        # pagination
        "pagination.label": "Pages de contributions",
        "pagination.previous": "Page précédente",
        "pagination.next": "Page suivante",
        "pagination.page": "Page",
        "pagination.position": "page {number} sur {total}",
        # proposal
        "proposal.back": f"Retour à la consultation «{_NB}{{title}}{_NB}»",
        "proposal.status": f"Statut{_NB}:",
        "proposal.supports.one": "{count} soutien",
        "proposal.supports.other": "{count} soutiens",
        "proposal.comment_count.one": "{count} commentaire",
        "proposal.comment_count.other": "{count} commentaires",
        "proposal.response": "Réponse officielle",
        "proposal.response_date": "Réponse du",
        "proposal.history": "Historique du statut",
        "proposal.history_date": "Date",
        "proposal.history_status": "Statut",
        "proposal.history_note": "Précisions",
        "proposal.support_heading": "Soutenir cette proposition",
        "proposal.support_closed": "Une décision définitive a été prise sur cette proposition : elle ne reçoit plus "
                                   "de soutiens.".replace(" :", f"{_NB}:"),
        "proposal.support_hint": "Un soutien est compté une fois par proposition pour une même connexion internet "
                                 "(une box, le Wi-Fi d’un lieu public…) : ce n’est pas un vote vérifié. "
                                 "Le total est mis à jour à la publication suivante.".replace(" :", f"{_NB}:"),
        "proposal.comments": "Commentaires publiés",
        "proposal.no_comments": "Aucun commentaire publié pour le moment.",
        "proposal.comment_heading": "Commenter cette proposition",
        "proposal.no_comment_form": "Cette proposition ne reçoit pas de commentaires en ligne.",
        # forms
        "form.required": "(obligatoire)",
        "form.optional": "(facultatif)",
        "form.required_note": "Les champs marqués «\u00a0obligatoire\u00a0» doivent être remplis ; les autres sont facultatifs.".replace(" ;", f"{_NB};"),
        "form.title_label": "Titre de votre contribution",
        "form.title_hint": "Une phrase courte qui résume votre idée.",
        "form.body_label.suggestion": "Votre contribution",
        "form.body_label.comment": "Votre commentaire",
        "form.body_hint": "{max} caractères au maximum. Les liens sont autorisés, les images non.",
        "form.author_label": "Nom ou pseudonyme",
        "form.author_hint": "Il sera publié avec votre contribution. Laissez vide pour rester anonyme.",
        "form.email_label": "Adresse électronique",
        "form.email_hint": "Elle reste privée : elle n'est jamais publiée et sert uniquement à vous répondre.".replace(" :", f"{_NB}:"),
        "form.questions_heading": "Questionnaire",
        "form.multiple_hint": "Vous pouvez cocher plusieurs réponses.",
        "form.scale_hint": "De {min} (pas du tout d'accord) à {max} (tout à fait d'accord).",
        "form.honeypot": "Ne remplissez pas ce champ",
        "form.privacy_note": "Vos données personnelles ne sont utilisées que pour traiter votre contribution.",
        "form.privacy_link": "En savoir plus sur vos données",
        "form.moderation.pre": "Les contributions sont relues avant publication, selon la charte de modération.",
        "form.moderation.post": "Les contributions sont publiées puis relues, selon la charte de modération.",
        "form.submit.suggestion": "Envoyer ma contribution",
        "form.submit.comment": "Envoyer mon commentaire",
        "form.submit.support": "Je soutiens cette proposition",
        "form.errors_heading.one": "Il y a un problème",
        "form.errors_heading.other": "Il y a {count} problèmes",
        "form.error_prefix": f"Erreur{_NB}:",
        "form.error_title_prefix": f"Erreur{_NB}:",
        "form_page.title.suggestion": f"Contribuer à «{_NB}{{title}}{_NB}»",
        "form_page.title.comment": f"Commenter «{_NB}{{title}}{_NB}»",
        "form_page.title.support": f"Soutenir «{_NB}{{title}}{_NB}»",
        "form_page.back": f"Retour à «{_NB}{{title}}{_NB}»",
        # error messages, for the form handler
        "error.required": "Ce champ est obligatoire.",
        "error.too_long": "Ce texte dépasse {max} caractères.",
        "error.choice": "Choisissez une des réponses proposées.",
        "error.email": "Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
        "error.closed": "Cette consultation ne reçoit plus de contributions.",
        "error.expired": "Le formulaire a expiré : renvoyez-le, votre texte a été conservé.".replace(" :", f"{_NB}:"),
        "error.too_fast": "Envoi trop rapide : vérifiez votre texte, puis renvoyez le formulaire.".replace(" :", f"{_NB}:"),
        "error.unknown": "Ce formulaire ne correspond à aucune consultation ouverte.",
        # pages
        "thanks.title": "Merci pour votre contribution",
        "thanks.saved": "Votre envoi a bien été enregistré.",
        "thanks.moderation": "Il sera publié après relecture par l'équipe de modération, selon la charte de modération.",
        "thanks.back": "Retour aux consultations",
        "not_found.title": "Page introuvable",
        "not_found.body": "La page que vous cherchez n'existe pas ou a été déplacée.",
        "not_found.back": "Retour aux consultations",
        # feeds
        "feed.site_title": "{site}",
        "feed.consultation_title": "{consultation} – {site}",
        "feed.status_change": f"{{proposal}}{_NB}: {{status}}",
        "feed.comment": f"Commentaire sur «{_NB}{{proposal}}{_NB}»",
        "feed.contribution": "Contribution de {author}",
        # accessibility statement
        "a11y.title": "Déclaration d'accessibilité",
        "a11y.commitment": "{organisation} s'engage à rendre ses sites internet accessibles, conformément à "
        "l'article 47 de la loi n° 2005-102 du 11 février 2005.".replace("n° ", f"n°{_NB}"),
        "a11y.scope": "Cette déclaration d'accessibilité s'applique au site {site} ({url}).",
        "a11y.status_heading": "État de conformité",
        "a11y.status.full": "Le site {site} est totalement conforme au référentiel général d'amélioration "
        "de l'accessibilité (RGAA), version 4.1.",
        "a11y.status.partial": "Le site {site} est partiellement conforme au référentiel général d'amélioration "
        "de l'accessibilité (RGAA), version 4.1.",
        "a11y.status.none": "Le site {site} n'est pas conforme au référentiel général d'amélioration "
        "de l'accessibilité (RGAA), version 4.1.",
        "a11y.audit": "Un audit de conformité a été réalisé le",
        "a11y.no_audit": "Aucun audit de conformité complet n'a encore été réalisé.",
        "a11y.tests_heading": "Comment le site est vérifié",
        "a11y.tests_intro": "Le modèle de ce site est vérifié automatiquement à chaque publication :",
        "a11y.test_axe": "chaque type de page, dans un vrai navigateur, avec axe-core (règles WCAG 2.1, niveaux A et AA) ;".replace(" ;", f"{_NB};"),
        "a11y.test_html": "la validité du code HTML de chaque page, avec le Nu HTML Checker ;".replace(" ;", f"{_NB};"),
        "a11y.test_keyboard": "le parcours complet au clavier seul, avec un focus visible ;".replace(" ;", f"{_NB};"),
        "a11y.test_nojs": "le parcours complet sans JavaScript ;".replace(" ;", f"{_NB};"),
        "a11y.test_widths": "l'affichage sur téléphone (360 pixels de large) et sur ordinateur.",
        "a11y.technologies": "Technologies utilisées : HTML5, CSS. JavaScript n'est pas nécessaire.".replace(" :", f"{_NB}:"),
        "a11y.limits": "Les tests automatiques ne couvrent pas tous les critères du RGAA ; "
        "les contenus publiés par les contributeurs peuvent aussi ne pas être accessibles.".replace(" ;", f"{_NB};"),
        "a11y.contact_heading": "Retour d'information et contact",
        "a11y.contact_intro": "Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez {organisation} "
        "pour être orienté vers une solution accessible ou obtenir le contenu sous une autre forme.",
        "a11y.recourse_heading": "Voies de recours",
        "a11y.recourse_intro": "Si vous avez signalé un défaut d'accessibilité qui vous empêche d'accéder à un "
        "contenu ou à un service et que vous n'avez pas obtenu de réponse satisfaisante, vous pouvez saisir "
        "le Défenseur des droits :".replace(" :", f"{_NB}:"),
        "a11y.recourse_form": "par le formulaire en ligne du Défenseur des droits",
        "a11y.recourse_delegate": "en contactant le délégué du Défenseur des droits dans votre région",
        "a11y.recourse_mail": "par courrier gratuit, sans affranchissement : Défenseur des droits, Libre réponse 71120, "
        "75342 Paris CEDEX 07".replace(" :", f"{_NB}:"),
    },
    "en": {
        "chrome.skip_link": "Skip to main content",
        "chrome.nav_label": "Main navigation",
        "chrome.nav_home": "Consultations",
        "chrome.footer_nav_label": "Useful links",
        "chrome.published_by": "Published by",
        "chrome.feed": "Atom feed of updates",
        "chrome.opendata": "Open data",
        "opendata.title": "Open data",
        "opendata.intro": "Everything this site publishes is also available as CSV files (UTF-8, comma-separated), "
        "free to reuse under the licence {licence}.",
        "opendata.licence": "Text of the licence",
        "opendata.files_heading": "The files",
        "opendata.file.consultations": "The consultations, their dates and status",
        "opendata.file.proposals": "The proposals, their status, supports and the date of the official response",
        "opendata.file.contributions": "The published contributions: suggestions, answers to questions and comments",
        "opendata.file.datapackage": "The description of the files (Data Package): columns, types and licence",
        "opendata.scope": "These files hold only what the site publishes: no pending or rejected contribution, "
        "no e-mail address and no connection data.",
        "opendata.formulas": "A cell that starts with =, +, - or @ is preceded by an apostrophe, so that a spreadsheet "
        "does not run it as a formula.",
        "chrome.accessibility.full": "Accessibility: fully compliant",
        "chrome.accessibility.partial": "Accessibility: partially compliant",
        "chrome.accessibility.none": "Accessibility: not compliant",
        "consultation_status.upcoming": "Upcoming",
        "consultation_status.open": "Open",
        "consultation_status.closed": "Closed",
        "proposal_status.recue": "Received",
        "proposal_status.a-l-etude": "Under review",
        "proposal_status.retenue": "Accepted",
        "proposal_status.mise-en-oeuvre": "Implemented",
        "proposal_status.non-retenue": "Not accepted",
        "reason.hors-sujet": "Off topic",
        "reason.propos-injurieux": "Abusive or discriminatory language",
        "reason.donnees-personnelles": "Personal data",
        "reason.doublon": "Duplicate",
        "reason.publicite": "Advertising or soliciting",
        "question_type.text": "Free text",
        "question_type.single": "Single choice",
        "question_type.multiple": "Multiple choice",
        "question_type.scale": "Scale",
        "home.empty": "No consultation yet.",
        "home.section.open": "Open consultations",
        "home.section.upcoming": "Upcoming consultations",
        "home.section.closed": "Closed consultations",
        "home.results_link": "See the results",
        "consultation.dates_from": "From",
        "consultation.dates_to": "to",
        "consultation.categories": "Topics:",
        "consultation.synthesis": "Summary of results",
        "consultation.synthesis_published": "Published on",
        "consultation.proposals": "Proposals",
        "consultation.proposal_count.one": "{count} proposal",
        "consultation.proposal_count.other": "{count} proposals",
        "consultation.contribution_count.one": "{count} published contribution",
        "consultation.contribution_count.other": "{count} published contributions",
        "consultation.contribute": "Contribute",
        "consultation.not_open_yet": "This consultation is not open yet. You can contribute from",
        "consultation.closed_notice": "This consultation is closed: contributions are no longer accepted. "
        "Thank you to everyone who took part.",
        "consultation.no_form": "This consultation does not take contributions online.",
        "consultation.contributions": "Published contributions",
        "consultation.no_contributions": "No published contribution yet.",
        "consultation.all_contributions.one": "See the published contribution",
        "consultation.all_contributions.other": "See all {count} published contributions",
        "contribution.by": "By {author}",
        "contribution.anonymous": "Anonymous",
        "contributions.title": "Contributions to “{title}”",
        "contributions.unpublished.one": "{count} contribution not published",
        "contributions.unpublished.other": "{count} contributions not published",
        "contributions.see_charter": "see the moderation charter",
        "pagination.label": "Contribution pages",
        "pagination.previous": "Previous page",
        "pagination.next": "Next page",
        "pagination.page": "Page",
        "pagination.position": "page {number} of {total}",
        "proposal.back": "Back to the consultation “{title}”",
        "proposal.status": "Status:",
        "proposal.supports.one": "{count} supporter",
        "proposal.supports.other": "{count} supporters",
        "proposal.comment_count.one": "{count} comment",
        "proposal.comment_count.other": "{count} comments",
        "proposal.response": "Official response",
        "proposal.response_date": "Response of",
        "proposal.history": "Status history",
        "proposal.history_date": "Date",
        "proposal.history_status": "Status",
        "proposal.history_note": "Details",
        "proposal.support_heading": "Support this proposal",
        "proposal.support_closed": "A final decision has been made on this proposal: it takes no more supports.",
        "proposal.support_hint": "A support counts once per proposal for one internet connection (a home router, "
                                 "a public Wi-Fi…): it is not a verified vote. The total is updated at the next "
                                 "publication.",
        "proposal.comments": "Published comments",
        "proposal.no_comments": "No published comment yet.",
        "proposal.comment_heading": "Comment on this proposal",
        "proposal.no_comment_form": "This proposal does not take comments online.",
        "form.required": "(required)",
        "form.optional": "(optional)",
        "form.required_note": "Fields marked “required” must be filled in; the others are optional.",
        "form.title_label": "Title of your contribution",
        "form.title_hint": "A short sentence that sums up your idea.",
        "form.body_label.suggestion": "Your contribution",
        "form.body_label.comment": "Your comment",
        "form.body_hint": "{max} characters at most. Links are allowed, images are not.",
        "form.author_label": "Name or pseudonym",
        "form.author_hint": "It will be published with your contribution. Leave it empty to stay anonymous.",
        "form.email_label": "Email address",
        "form.email_hint": "It stays private: it is never published and is only used to reply to you.",
        "form.questions_heading": "Questionnaire",
        "form.multiple_hint": "You can tick several answers.",
        "form.scale_hint": "From {min} (strongly disagree) to {max} (strongly agree).",
        "form.honeypot": "Do not fill in this field",
        "form.privacy_note": "Your personal data is only used to handle your contribution.",
        "form.privacy_link": "More about your data",
        "form.moderation.pre": "Contributions are reviewed before publication, according to the moderation charter.",
        "form.moderation.post": "Contributions are published, then reviewed, according to the moderation charter.",
        "form.submit.suggestion": "Send my contribution",
        "form.submit.comment": "Send my comment",
        "form.submit.support": "I support this proposal",
        "form.errors_heading.one": "There is a problem",
        "form.errors_heading.other": "There are {count} problems",
        "form.error_prefix": "Error:",
        "form.error_title_prefix": "Error:",
        "form_page.title.suggestion": "Contribute to “{title}”",
        "form_page.title.comment": "Comment on “{title}”",
        "form_page.title.support": "Support “{title}”",
        "form_page.back": "Back to “{title}”",
        "error.required": "This field is required.",
        "error.too_long": "This text is longer than {max} characters.",
        "error.choice": "Choose one of the answers offered.",
        "error.email": "Enter a valid email address, like name@example.org.",
        "error.closed": "This consultation no longer takes contributions.",
        "error.expired": "The form has expired: send it again, your text has been kept.",
        "error.too_fast": "Sent too quickly: check your text, then send the form again.",
        "error.unknown": "This form does not match any open consultation.",
        "thanks.title": "Thank you for your contribution",
        "thanks.saved": "What you sent has been saved.",
        "thanks.moderation": "It will be published after review by the moderation team, according to the moderation charter.",
        "thanks.back": "Back to the consultations",
        "not_found.title": "Page not found",
        "not_found.body": "The page you are looking for does not exist or has moved.",
        "not_found.back": "Back to the consultations",
        "feed.site_title": "{site}",
        "feed.consultation_title": "{consultation} – {site}",
        "feed.status_change": "{proposal}: {status}",
        "feed.comment": "Comment on “{proposal}”",
        "feed.contribution": "Contribution by {author}",
        "a11y.title": "Accessibility statement",
        "a11y.commitment": "{organisation} is committed to making its websites accessible, in accordance with "
        "article 47 of French law no. 2005-102 of 11 February 2005.",
        "a11y.scope": "This accessibility statement applies to the website {site} ({url}).",
        "a11y.status_heading": "Compliance status",
        "a11y.status.full": "The website {site} is fully compliant with the French accessibility framework "
        "(RGAA), version 4.1, based on WCAG 2.1 level AA.",
        "a11y.status.partial": "The website {site} is partially compliant with the French accessibility framework "
        "(RGAA), version 4.1, based on WCAG 2.1 level AA.",
        "a11y.status.none": "The website {site} is not compliant with the French accessibility framework "
        "(RGAA), version 4.1, based on WCAG 2.1 level AA.",
        "a11y.audit": "A compliance audit was carried out on",
        "a11y.no_audit": "No full compliance audit has been carried out yet.",
        "a11y.tests_heading": "How the website is checked",
        "a11y.tests_intro": "The templates of this website are checked automatically at every publication:",
        "a11y.test_axe": "every page type, in a real browser, with axe-core (WCAG 2.1 rules, levels A and AA);",
        "a11y.test_html": "the validity of every page's HTML, with the Nu HTML Checker;",
        "a11y.test_keyboard": "the whole journey with the keyboard alone, with a visible focus;",
        "a11y.test_nojs": "the whole journey without JavaScript;",
        "a11y.test_widths": "the display on a phone (360 pixels wide) and on a computer.",
        "a11y.technologies": "Technologies used: HTML5, CSS. JavaScript is not required.",
        "a11y.limits": "Automatic tests do not cover every RGAA criterion; content published by contributors "
        "may also not be accessible.",
        "a11y.contact_heading": "Feedback and contact",
        "a11y.contact_intro": "If you cannot access some content or a service, contact {organisation} to be "
        "directed to an accessible alternative or to get the content in another form.",
        "a11y.recourse_heading": "Means of redress",
        "a11y.recourse_intro": "If you reported an accessibility problem that prevents you from accessing some "
        "content or a service and did not get a satisfactory answer, you can refer the matter to the "
        "Défenseur des droits (the French rights ombudsman):",
        "a11y.recourse_form": "through the Défenseur des droits online form",
        "a11y.recourse_delegate": "by contacting the Défenseur des droits delegate in your region",
        "a11y.recourse_mail": "by free post, without a stamp: Défenseur des droits, Libre réponse 71120, "
        "75342 Paris CEDEX 07",
    },
}
