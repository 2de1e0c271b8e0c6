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
        "home.participate": "Participer",
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
        "consultation.form_heading.suggestion": "Proposer une idée",
        "consultation.form_heading.proposal": "Proposer une idée",
        "form.proposal_intro": "Publiée après relecture, votre proposition pourra être soutenue et commentée, "
                               "et recevra une réponse officielle.",
        "form.proposal_title_label": "Titre de votre proposition",
        "form.body_label.proposal": "Votre proposition",
        "form.submit.proposal": "Envoyer ma proposition",
        "form.category_label": "Catégorie",
        "form.category_none": "Aucune catégorie",
        "proposal.proposed_by": "Proposée par",
        "proposal.proposed_on": "le",
        "proposal.citizen": "Proposition citoyenne",
        "consultation.form_heading.answers": "Répondre au questionnaire",
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
        "contribution.channel.papier": "Reçue sur papier",
        "contribution.channel.courriel": "Reçue par courriel",
        "contribution.channel.reunion": "Recueillie en réunion publique",
        "contributions.title": f"Contributions à «{_NB}{{title}}{_NB}»",
        "contributions.unpublished.one": "{count} contribution non publiée",
        "contributions.unpublished.other": "{count} contributions non publiées",
        "contributions.see_charter": "voir la charte de modération",
        # pagination
        "pagination.label": "Pages de contributions",
        "pagination.label_comments": "Pages de commentaires",
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
        "proposal.support_heading": "Soutenir cette proposition",
        "proposal.support_closed": "Une décision définitive a été prise sur cette proposition : elle ne reçoit plus "
                                   "de soutiens.".replace(" :", f"{_NB}:"),
        "proposal.support_hint": "Un soutien est compté une fois par proposition pour une même connexion internet "
                                 "(une box, le Wi-Fi d’un lieu public…) : ce n’est pas un vote vérifié. "
                                 "Le total est mis à jour à la publication suivante.".replace(" :", f"{_NB}:"),
        "proposal.comments": "Commentaires publiés",
        "proposal.no_comments": "Aucun commentaire publié pour le moment.",
        "proposal.comments_position.one": "{count} commentaire, en {total} pages, du plus ancien au plus récent.",
        "proposal.comments_position.other": "{count} commentaires, en {total} pages, du plus ancien au plus récent.",
        "comments.title": f"Commentaires sur «{_NB}{{title}}{_NB}»",
        "comments.back": f"Retour à la proposition «{_NB}{{title}}{_NB}»",
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
        "form.multiple_hint": "Vous pouvez cocher plusieurs réponses.",
        "form.scale_hint": "De {min} (pas du tout d'accord) à {max} (tout à fait d'accord).",
        "form.honeypot": "Ne remplissez pas ce champ",
        "form.privacy_note": "Vos données personnelles ne sont utilisées que pour traiter votre contribution.",
        "form.privacy_link": "En savoir plus sur vos données",
        "form.moderation.pre": "Les contributions sont relues avant publication, selon la charte de modération.",
        "form.moderation.post": "Les contributions sont publiées puis relues, selon la charte de modération.",
        "form.submit.suggestion": "Envoyer ma contribution",
        "form.submit.answers": "Envoyer mes réponses",
        "form.submit.comment": "Envoyer mon commentaire",
        "form.submit.support": "Je soutiens cette proposition",
        "form.errors_heading.one": "Il y a un problème",
        "form.errors_heading.other": "Il y a {count} problèmes",
        "form.error_prefix": f"Erreur{_NB}:",
        "form.error_title_prefix": f"Erreur{_NB}:",
        "form_page.title.suggestion": f"Contribuer à «{_NB}{{title}}{_NB}»",
        "form_page.title.proposal": f"Proposer une idée à «{_NB}{{title}}{_NB}»",
        "form_page.title.comment": f"Commenter «{_NB}{{title}}{_NB}»",
        "form_page.title.support": f"Soutenir «{_NB}{{title}}{_NB}»",
        "form_page.title.answers": f"Répondre au questionnaire «{_NB}{{title}}{_NB}»",
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
        "thanks.title.suggestion": "Merci pour votre contribution",
        "thanks.title.answers": "Merci pour vos réponses",
        "thanks.title.comment": "Merci pour votre commentaire",
        "thanks.title.support": "Merci pour votre soutien",
        "thanks.title.supported": "Vous soutenez déjà cette proposition",
        "thanks.saved.suggestion": "Votre contribution est enregistrée.",
        "thanks.saved.answers": "Vos réponses sont enregistrées.",
        "thanks.saved.comment": "Votre commentaire est enregistré.",
        "thanks.saved.support": f"Votre soutien est enregistré{_NB}; il sera compté à la prochaine mise à jour.",
        "thanks.saved.supported": f"Votre soutien était déjà enregistré{_NB}: un seul soutien par personne est compté.",
        "thanks.moderation": "Votre envoi sera publié après relecture par l'équipe de modération, selon la charte de modération.",
        "thanks.back": "Retour aux consultations",
        "thanks.back.consultation": "Retour à la consultation",
        "thanks.back.proposal": "Retour à la proposition",
        "thanks.title.report": "Merci pour votre signalement",
        "thanks.saved.report": "Votre signalement est enregistré : l'équipe de modération relira ce contenu selon la charte de modération.",
        "form.report.summary": "Signaler ce contenu",
        "form.report.reason_label": "Motif du signalement",
        "form.report.reason_none": "Choisissez un motif",
        "form.report.note_label": "Précisions",
        "form.report.note_hint": "N'indiquez aucune donnée personnelle.",
        "form.submit.report": "Envoyer le signalement",
        "form_page.title.report": "Signaler un contenu de « {title} »",
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
        "a11y.inaccessible_heading": "Contenus non accessibles",
        "a11y.inaccessible_intro": "Les contenus listés ci-dessous ne sont pas accessibles pour les raisons suivantes.",
        "a11y.non_conformities_heading": "Non-conformités",
        "a11y.non_conformities_none": "Le dernier audit n'a relevé aucune non-conformité.",
        "a11y.non_conformities_unaudited": "Faute d'audit complet, les non-conformités de ce site ne sont pas encore établies.",
        "a11y.burden_heading": "Dérogations pour charge disproportionnée",
        "a11y.burden_none": "Aucune dérogation pour charge disproportionnée n'est invoquée.",
        "a11y.exempt_heading": "Contenus non soumis à l'obligation d'accessibilité",
        "a11y.exempt_none": "Aucun contenu de ce site n'est déclaré hors du champ de l'obligation d'accessibilité.",
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
        "home.participate": "Take part",
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
        "consultation.form_heading.suggestion": "Suggest an idea",
        "consultation.form_heading.proposal": "Propose an idea",
        "form.proposal_intro": "Once reviewed and published, your proposal can be supported and commented on, "
                               "and will get an official response.",
        "form.proposal_title_label": "Title of your proposal",
        "form.body_label.proposal": "Your proposal",
        "form.submit.proposal": "Send my proposal",
        "form.category_label": "Category",
        "form.category_none": "No category",
        "proposal.proposed_by": "Proposed by",
        "proposal.proposed_on": "on",
        "proposal.citizen": "Citizen proposal",
        "consultation.form_heading.answers": "Answer the questionnaire",
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
        "contribution.channel.papier": "Received on paper",
        "contribution.channel.courriel": "Received by e-mail",
        "contribution.channel.reunion": "Collected at a public meeting",
        "contributions.title": "Contributions to “{title}”",
        "contributions.unpublished.one": "{count} contribution not published",
        "contributions.unpublished.other": "{count} contributions not published",
        "contributions.see_charter": "see the moderation charter",
        "pagination.label": "Contribution pages",
        "pagination.label_comments": "Comment pages",
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
        "proposal.support_heading": "Support this proposal",
        "proposal.support_closed": "A final decision has been made on this proposal: it takes no more supports.",
        "proposal.support_hint": "A support counts once per proposal for one internet connection (a home router, "
                                 "a public Wi-Fi…): it is not a verified vote. The total is updated at the next "
                                 "publication.",
        "proposal.comments": "Published comments",
        "proposal.no_comments": "No published comment yet.",
        "proposal.comments_position.one": "{count} comment, on {total} pages, oldest first.",
        "proposal.comments_position.other": "{count} comments, on {total} pages, oldest first.",
        "comments.title": "Comments on “{title}”",
        "comments.back": "Back to the proposal “{title}”",
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
        "form.multiple_hint": "You can tick several answers.",
        "form.scale_hint": "From {min} (strongly disagree) to {max} (strongly agree).",
        "form.honeypot": "Do not fill in this field",
        "form.privacy_note": "Your personal data is only used to handle your contribution.",
        "form.privacy_link": "More about your data",
        "form.moderation.pre": "Contributions are reviewed before publication, according to the moderation charter.",
        "form.moderation.post": "Contributions are published, then reviewed, according to the moderation charter.",
        "form.submit.suggestion": "Send my contribution",
        "form.submit.answers": "Send my answers",
        "form.submit.comment": "Send my comment",
        "form.submit.support": "I support this proposal",
        "form.errors_heading.one": "There is a problem",
        "form.errors_heading.other": "There are {count} problems",
        "form.error_prefix": "Error:",
        "form.error_title_prefix": "Error:",
        "form_page.title.suggestion": "Contribute to “{title}”",
        "form_page.title.proposal": "Propose an idea to “{title}”",
        "form_page.title.comment": "Comment on “{title}”",
        "form_page.title.support": "Support “{title}”",
        "form_page.title.answers": "Answer the questionnaire “{title}”",
        "form_page.back": "Back to “{title}”",
        "error.required": "This field is required.",
        "error.too_long": "This text is longer than {max} characters.",
        "error.choice": "Choose one of the answers offered.",
        "error.email": "Enter a valid email address, like name@example.org.",
        "error.closed": "This consultation no longer takes contributions.",
        "error.expired": "The form has expired: send it again, your text has been kept.",
        "error.too_fast": "Sent too quickly: check your text, then send the form again.",
        "error.unknown": "This form does not match any open consultation.",
        "thanks.title.suggestion": "Thank you for your contribution",
        "thanks.title.answers": "Thank you for your answers",
        "thanks.title.comment": "Thank you for your comment",
        "thanks.title.support": "Thank you for your support",
        "thanks.title.supported": "You already support this proposal",
        "thanks.saved.suggestion": "Your contribution has been saved.",
        "thanks.saved.answers": "Your answers have been saved.",
        "thanks.saved.comment": "Your comment has been saved.",
        "thanks.saved.support": "Your support has been saved; it will be counted at the next update.",
        "thanks.saved.supported": "Your support was already saved: only one support per person is counted.",
        "thanks.moderation": "What you sent will be published after review by the moderation team, according to the moderation charter.",
        "thanks.back": "Back to the consultations",
        "thanks.back.consultation": "Back to the consultation",
        "thanks.back.proposal": "Back to the proposal",
        "thanks.title.report": "Thank you for your report",
        "thanks.saved.report": "Your report has been saved: the moderation team will review this content according to the moderation charter.",
        "form.report.summary": "Report this content",
        "form.report.reason_label": "Reason for the report",
        "form.report.reason_none": "Choose a reason",
        "form.report.note_label": "Details",
        "form.report.note_hint": "Do not include any personal data.",
        "form.submit.report": "Send the report",
        "form_page.title.report": "Report content of “{title}”",
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
        "a11y.inaccessible_heading": "Non-accessible content",
        "a11y.inaccessible_intro": "The content listed below is not accessible for the following reasons.",
        "a11y.non_conformities_heading": "Non-compliance",
        "a11y.non_conformities_none": "The last audit found no non-compliance.",
        "a11y.non_conformities_unaudited": "Without a full audit, the non-compliance of this website is not established yet.",
        "a11y.burden_heading": "Exemptions for disproportionate burden",
        "a11y.burden_none": "No exemption for disproportionate burden is claimed.",
        "a11y.exempt_heading": "Content not subject to the accessibility obligation",
        "a11y.exempt_none": "No content of this website is declared outside the scope of the accessibility obligation.",
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


# The tool's own words, in the site's language like its pages: the command line (init, new, check,
# moderate), the dev server's error overlay, and what `consult pull` writes for people (its report,
# the pull request's description, the commit message, the comment of supports.yaml).
def _french_spaces(table: dict[str, str]) -> dict[str, str]:
    """French typography: a no-break space before : ; ? ! and inside « »."""
    def fix(text: str) -> str:
        for plain, fixed in ((" :", f"{_NB}:"), (" ;", f"{_NB};"), (" ?", f"{_NB}?"), (" !", f"{_NB}!"),
                             ("« ", f"«{_NB}"), (" »", f"{_NB}»")):
            text = text.replace(plain, fixed)
        return text

    return {key: fix(text) for key, text in table.items()}


TOOL_STRINGS: dict[str, dict[str, str]] = {
    "fr": _french_spaces({
        "cli.init.created.one": "{count} fichier créé dans {folder}.",
        "cli.init.created.other": "{count} fichiers créés dans {folder}.",
        "cli.init.kept": "Gardé tel quel (déjà là) : {path}",
        "cli.init.gitignore": "Ajouté à {path} : ce que git doit ignorer pour consult ({lines})",
        "cli.init.next": "Ensuite : cd {folder} && consult serve",
        "cli.init.not_empty": "{folder} contient déjà {names} : choisissez un dossier neuf, ou un dépôt qui ne "
        "contient que des fichiers cachés (.git, réglages d'éditeur) et un README ou une LICENCE",
        "cli.new.created": "Créé : {path}",
        "cli.themes.header": "Codebook suggéré par « consult themes {slug} » à partir de {count} texte(s) publié(s).\n"
        "Une proposition à relire : renommez, fusionnez, supprimez les thèmes ; une personne décide.",
        "cli.themes.keywords": "Mots-clés : {terms}",
        "cli.themes.summary": "{themes} thème(s) suggéré(s) pour {slug} à partir de {count} texte(s) publié(s) ; "
        "{tagged} texte(s) avec au moins une suggestion.",
        "cli.themes.theme": "  {id} — {label} : {count} texte(s) ; mots-clés : {terms}",
        "cli.themes.tags": "Étiquettes suggérées (rien n'est écrit sans --apply) :",
        "cli.themes.none": "(aucune)",
        "cli.themes.exists": "{path} existe déjà et diffère de ce codebook suggéré : rien n'a été écrit ; "
        "fusionnez les thèmes à la main, puis étiquetez avec « consult tag ID --add THEME »",
        "cli.themes.too_few": "pas de texte publié dans {slug} : rien à suggérer",
        "cli.new.no_slug": "impossible de faire un nom de fichier avec le titre {title} : mettez-y des lettres ou des chiffres"
        ,
        "cli.new.exists": "{path} existe déjà : choisissez un autre titre",
        "cli.new.unknown_consultation": "pas de consultation « {slug} » (existantes : {slugs})",
        "cli.new.which_consultation": "quelle consultation ? Ajoutez --consultation SLUG (existantes : {slugs})",
        "cli.new.none": "aucune",
        "cli.new.body.consultation": "Présentez ici la consultation : son contexte, ce qui est en jeu, ce que vous "
        "ferez des contributions.",
        "cli.new.body.proposal": "Décrivez ici la proposition.",
        "cli.new.body.page": "Texte de la page.",
        "cli.check.ok": "OK : {summary}.",
        "cli.build.done": "Site construit : {count} fichiers, {written} écrits, {unchanged} inchangés, {removed} supprimés.",
        "cli.check.consultations.one": "{count} consultation",
        "cli.check.consultations.other": "{count} consultations",
        "cli.check.proposals.one": "{count} proposition",
        "cli.check.proposals.other": "{count} propositions",
        "cli.check.pages.one": "{count} page",
        "cli.check.pages.other": "{count} pages",
        "cli.check.files.one": "{count} fichier produit",
        "cli.check.files.other": "{count} fichiers produits",
        "cli.check.next.opens": "Prochain changement d'état : « {title} » ouvre le {date}.",
        "cli.check.next.closes": "Prochain changement d'état : « {title} » se termine le {date}.",
        "cli.check.next.rebuild": "L'état d'une consultation est figé dans les pages au moment où le site est construit : "
        "reconstruisez-le à cette date (dans un site fait par consult init, le workflow "
        ".github/workflows/consult-rebuild.yml le fait chaque nuit).",
        "cli.kind.suggestion": "suggestion",
        "cli.kind.proposal": "proposition citoyenne",
        "cli.kind.comment": "commentaire",
        "cli.kind.answers": "réponses au questionnaire",
        "cli.moderate.none": "Aucune contribution en attente.",
        "cli.moderate.count.one": "{count} contribution en attente.",
        "cli.moderate.count.other": "{count} contributions en attente.",
        "cli.moderate.abridged": "Textes abrégés : lisez-les en entier avant de publier (consult moderate --full, "
        "ou consult moderate show ID).",
        "cli.moderate.howto": "Publier : consult moderate approve ID... ; refuser : consult moderate reject ID... "
        "--reason CODE ; une contribution publiée et signalée : consult moderate keep ID... (la garder) ou "
        "consult moderate unpublish ID... --reason CODE",
        "cli.moderate.on": "sur {proposal}",
        "cli.moderate.status": "Statut :",
        "cli.moderate.flags": "Signalements :",
        "cli.moderate.reports": "Signalée par des participants :",
        "cli.moderate.title": "Titre :",
        "cli.moderate.author": "Auteur :",
        "cli.moderate.anonymous": "(anonyme)",
        "cli.moderate.body": "Texte :",
        "cli.moderate.answers": "Réponses :",
        "cli.moderate.answer_count.one": "({count} réponse au questionnaire)",
        "cli.moderate.answer_count.other": "({count} réponses au questionnaire)",
        "cli.moderate.file": "Fichier :",
        "cli.moderate.published": "publiée : {path}",
        "cli.moderate.as_proposal": "publiée comme proposition : {proposal} (contribution {path})",
        "cli.respond.done": "réponse du {date} : {path}",
        "cli.check.embargo": "Sous embargo jusqu'au {date} : {what} de « {title} » ({path}) ; "
                             "reconstruisez le site ce jour-là pour la publier.",
        "cli.check.embargo.response": "la réponse officielle",
        "cli.check.embargo.status": "le statut « {status} »",
        "cli.moderate.rejected": "refusée : {path}",
        "cli.moderate.unpublished": "dépubliée ({reason}) : {path}",
        "cli.moderate.kept": "gardée publiée (signalement traité) : {path}",
        "cli.moderate.category": "[catégorie : {category}]",
        "cli.moderate.reported_item": "[publiée, signalée : garder ou dépublier]",
        "cli.moderate.page": "Affichées : {first} à {last} sur {total}.",
        "cli.moderate.next": "Suivantes : la même commande avec --offset {offset}.",
        "cli.moderate.name_ids": "indiquez les contributions : consult moderate {action} ID...",
        "serve.overlay.title": "consult : le site n'a pas pu être reconstruit",
        "serve.overlay.body": "La dernière version correcte reste affichée en dessous ; corrigez le fichier et enregistrez.",
        "pull.report.wrote": "écrit : {path}",
        "pull.report.conflict": "conflit : {path} diffère de la boîte de réception ; laissé tel quel",
        "pull.report.skipped": "ignorée : {id}, sa consultation n'est pas dans content/",
        "pull.report.new.one": "{count} nouvelle contribution",
        "pull.report.new.other": "{count} nouvelles contributions",
        "pull.report.tallies.one": "{count} fichier de soutiens",
        "pull.report.tallies.other": "{count} fichiers de soutiens",
        "pull.report.unchanged.one": "{count} déjà là",
        "pull.report.unchanged.other": "{count} déjà là",
        "pull.report.conflicts.one": "{count} conflit",
        "pull.report.conflicts.other": "{count} conflits",
        "pull.report.committed": "enregistré sur la branche {branch}",
        "pull.report.nothing": "rien à enregistrer sur la branche {branch}",
        "pull.pr.intro": "Nouvelles contributions à modérer (status: pending).",
        "pull.pr.howto": "Pour chacune, mettez `status: published`, ou `status: rejected` avec un code `reason:` "
        "de la charte de modération.",
        "pull.pr.table": "| identifiant | type | consultation |",
        "pull.pr.flagged": "Signalées (à lire en premier)",
        "pull.pr.tallies": "Nombres de soutiens mis à jour : {files}",
        "pull.commit.title.one": "Ajoute {count} contribution à modérer",
        "pull.commit.title.other": "Ajoute {count} contributions à modérer",
        "pull.supports_comment": "Soutiens par proposition, tenus à jour par `consult pull`.",
    }),
    "en": {
        "cli.init.created.one": "Created {count} file in {folder}.",
        "cli.init.created.other": "Created {count} files in {folder}.",
        "cli.init.kept": "Kept as it was (already there): {path}",
        "cli.init.gitignore": "Added to {path}: what git must ignore for consult ({lines})",
        "cli.init.next": "Next: cd {folder} && consult serve",
        "cli.init.not_empty": "{folder} already holds {names}: choose a new folder, or a repository holding only "
        "hidden files (.git, editor settings) and a README or a LICENCE",
        "cli.new.created": "Created {path}",
        "cli.themes.header": "Codebook suggested by 'consult themes {slug}' from {count} published text(s).\n"
        "A draft to review: rename, merge, delete themes; a person decides.",
        "cli.themes.keywords": "Keywords: {terms}",
        "cli.themes.summary": "{themes} theme(s) suggested for {slug} from {count} published text(s); "
        "{tagged} text(s) with at least one suggestion.",
        "cli.themes.theme": "  {id} — {label}: {count} text(s); keywords: {terms}",
        "cli.themes.tags": "Suggested tags (nothing is written without --apply):",
        "cli.themes.none": "(none)",
        "cli.themes.exists": "{path} already exists and differs from this suggested codebook: nothing was written; "
        "merge the themes by hand, then tag with 'consult tag ID --add THEME'",
        "cli.themes.too_few": "no published text in {slug}: nothing to suggest",
        "cli.new.no_slug": "cannot make a file name from the title {title}: use some letters or digits",
        "cli.new.exists": "{path} already exists: choose another title",
        "cli.new.unknown_consultation": "no consultation '{slug}' (existing: {slugs})",
        "cli.new.which_consultation": "which consultation? use --consultation SLUG (existing: {slugs})",
        "cli.new.none": "none",
        "cli.new.body.consultation": "Present the consultation here: its background, what is at stake, what you "
        "will do with the contributions.",
        "cli.new.body.proposal": "Describe the proposal here.",
        "cli.new.body.page": "Text of the page.",
        "cli.check.ok": "OK: {summary}.",
        "cli.build.done": "Built {count} files: {written} written, {unchanged} unchanged, {removed} removed.",
        "cli.check.consultations.one": "{count} consultation",
        "cli.check.consultations.other": "{count} consultations",
        "cli.check.proposals.one": "{count} proposal",
        "cli.check.proposals.other": "{count} proposals",
        "cli.check.pages.one": "{count} page",
        "cli.check.pages.other": "{count} pages",
        "cli.check.files.one": "{count} output file",
        "cli.check.files.other": "{count} output files",
        "cli.check.next.opens": "Next status change: “{title}” opens on {date}.",
        "cli.check.next.closes": "Next status change: “{title}” closes on {date}.",
        "cli.check.next.rebuild": "A consultation's status is frozen into the pages when the site is built: rebuild it "
        "then (in a site made by consult init, the workflow .github/workflows/consult-rebuild.yml does it every night).",
        "cli.kind.suggestion": "suggestion",
        "cli.kind.proposal": "citizen proposal",
        "cli.kind.comment": "comment",
        "cli.kind.answers": "answers to the questionnaire",
        "cli.moderate.none": "No pending contribution.",
        "cli.moderate.count.one": "{count} pending contribution.",
        "cli.moderate.count.other": "{count} pending contributions.",
        "cli.moderate.abridged": "Texts abridged: read them in full before publishing (consult moderate --full, "
        "or consult moderate show ID).",
        "cli.moderate.howto": "Approve: consult moderate approve ID...; reject: consult moderate reject ID... "
        "--reason CODE; a published item that was reported: consult moderate keep ID... (keep it) or "
        "consult moderate unpublish ID... --reason CODE",
        "cli.moderate.on": "on {proposal}",
        "cli.moderate.status": "Status:",
        "cli.moderate.flags": "Flags:",
        "cli.moderate.reports": "Reported by participants:",
        "cli.moderate.title": "Title:",
        "cli.moderate.author": "Author:",
        "cli.moderate.anonymous": "(anonymous)",
        "cli.moderate.body": "Text:",
        "cli.moderate.answers": "Answers:",
        "cli.moderate.answer_count.one": "({count} answer to the questionnaire)",
        "cli.moderate.answer_count.other": "({count} answers to the questionnaire)",
        "cli.moderate.file": "File:",
        "cli.moderate.published": "published: {path}",
        "cli.moderate.as_proposal": "published as a proposal: {proposal} (contribution {path})",
        "cli.respond.done": "answer of {date}: {path}",
        "cli.check.embargo": "Embargoed until {date}: {what} of “{title}” ({path}); rebuild the site that day to publish it.",
        "cli.check.embargo.response": "the official response",
        "cli.check.embargo.status": "the status “{status}”",
        "cli.moderate.rejected": "rejected: {path}",
        "cli.moderate.unpublished": "unpublished ({reason}): {path}",
        "cli.moderate.kept": "kept published (report dealt with): {path}",
        "cli.moderate.category": "[category: {category}]",
        "cli.moderate.reported_item": "[published, reported: keep or unpublish]",
        "cli.moderate.page": "Shown: {first} to {last} of {total}.",
        "cli.moderate.next": "Next: the same command with --offset {offset}.",
        "cli.moderate.name_ids": "name the contributions: consult moderate {action} ID...",
        "serve.overlay.title": "consult: the site could not be rebuilt",
        "serve.overlay.body": "The last good version stays served below; fix the file and save.",
        "pull.report.wrote": "wrote {path}",
        "pull.report.conflict": "conflict: {path} differs from the inbox; left as it is",
        "pull.report.skipped": "skipped {id}: its consultation is not in content/",
        "pull.report.new.one": "{count} new contribution",
        "pull.report.new.other": "{count} new contributions",
        "pull.report.tallies.one": "{count} support tally file",
        "pull.report.tallies.other": "{count} support tally files",
        "pull.report.unchanged.one": "{count} already there",
        "pull.report.unchanged.other": "{count} already there",
        "pull.report.conflicts.one": "{count} conflict",
        "pull.report.conflicts.other": "{count} conflicts",
        "pull.report.committed": "committed on branch {branch}",
        "pull.report.nothing": "nothing to commit on branch {branch}",
        "pull.pr.intro": "New contributions to moderate (status: pending).",
        "pull.pr.howto": "For each, set `status: published`, or `status: rejected` with a `reason:` code from the "
        "moderation charter.",
        "pull.pr.table": "| id | kind | consultation |",
        "pull.pr.flagged": "Flagged (read these first)",
        "pull.pr.tallies": "Support tallies updated: {files}",
        "pull.commit.title.one": "Pull {count} new contribution for moderation",
        "pull.commit.title.other": "Pull {count} new contributions for moderation",
        "pull.supports_comment": "Supports per proposal, kept up to date by `consult pull`.",
    },
}
for _language, _strings in TOOL_STRINGS.items():
    STRINGS[_language].update(_strings)


# The results page (consult/results.py, results.html).
STRINGS["fr"].update({
    "results.title": "Résultats – {title}",
    "results.link": "Voir les résultats de la consultation",
    "results.back": "Retour aux résultats de « {title} »".replace("« ", f"«{_NB}").replace(" »", f"{_NB}»"),
    "results.when.open": "Résultats provisoires, arrêtés à la date de publication du site.",
    "results.when.closed": "Résultats définitifs de la consultation close.",
    "results.scope": "Seules les contributions publiées sont comptées ; les mêmes chiffres sont dans les"
    .replace(" ;", f"{_NB};"),
    "results.opendata": "données ouvertes",
    "results.participation": "Participation",
    "results.contributions.one": "{count} contribution publiée",
    "results.contributions.other": "{count} contributions publiées",
    "results.named.one": "{count} participant identifié par son nom public",
    "results.named.other": "{count} participants distincts identifiés par leur nom public",
    "results.anonymous.one": "{count} contribution sans nom",
    "results.anonymous.other": "{count} contributions sans nom",
    "results.supports.one": "{count} soutien aux propositions",
    "results.supports.other": "{count} soutiens aux propositions",
    "results.participants_how": "Les participants sont comptés par nom public distinct (sans tenir compte des "
    "majuscules ni des espaces) ; les contributions sans nom ne peuvent pas être distinguées et sont comptées "
    "à part. Les soutiens sont anonymes.".replace(" ;", f"{_NB};"),
    "results.kinds_chart": "Contributions publiées par type",
    "results.kind": "Type",
    "results.kind.suggestion": "Idées",
    "results.kind.answers": "Réponses au questionnaire",
    "results.kind.comment": "Commentaires",
    "results.weeks_chart": "Contributions publiées par semaine",
    "results.week": "Semaine",
    "results.week_of": "Semaine du {date}",
    "results.count": "Nombre",
    "results.share": "Part",
    "results.share_of_respondents": "Part des répondants",
    "results.questions": "Réponses au questionnaire",
    "results.respondents.one": "{count} personne a répondu à cette question.",
    "results.respondents.other": "{count} personnes ont répondu à cette question.",
    "results.multiple_note": "Plusieurs réponses possibles : les parts sont calculées sur le nombre de "
    "répondants et leur total peut dépasser 100 %.".replace(" :", f"{_NB}:").replace(" %", f"{_NB}%"),
    "results.mean": f"Moyenne{_NB}:",
    "results.median": f"médiane{_NB}:",
    "results.scale_range": "échelle de {min} à {max}",
    "results.value": "Note",
    "results.choice": "Réponse",
    "results.all_answers.one": "Voir la réponse",
    "results.all_answers.other": "Voir les {count} réponses",
    "results.tags": f"Thèmes{_NB}:",
    "results.themes": "Thèmes abordés",
    "results.themes_note": "Les thèmes sont attribués par l'équipe de la consultation selon la grille de codage "
    "publiée ; une contribution peut en avoir plusieurs.".replace(" ;", f"{_NB};"),
    "results.themes_chart": "Contributions par thème",
    "results.theme": "Thème",
    "results.contribution_ref": "Contribution {id}",
    "opendata.results_heading": "Les chiffres des pages de résultats",
    "opendata.results_intro": "Pour chaque page de résultats, les mêmes chiffres en CSV : participation, "
    "contributions par semaine, une ligne par question (répondants, moyenne, médiane), un fichier par question "
    "(effectif de chaque réponse, ou les réponses libres) et par thème de la grille de codage.",
})
STRINGS["en"].update({
    "results.title": "Results – {title}",
    "results.link": "See the consultation's results",
    "results.back": "Back to the results of “{title}”",
    "results.when.open": "Provisional results, as of the site's last build.",
    "results.when.closed": "Final results of the closed consultation.",
    "results.scope": "Only published contributions are counted; the same figures are in the",
    "results.opendata": "open data",
    "results.participation": "Participation",
    "results.contributions.one": "{count} published contribution",
    "results.contributions.other": "{count} published contributions",
    "results.named.one": "{count} participant told apart by their public name",
    "results.named.other": "{count} distinct participants told apart by their public name",
    "results.anonymous.one": "{count} contribution without a name",
    "results.anonymous.other": "{count} contributions without a name",
    "results.supports.one": "{count} support for proposals",
    "results.supports.other": "{count} supports for proposals",
    "results.participants_how": "Participants are counted by distinct public name (ignoring case and spaces); "
    "contributions without a name cannot be told apart and are counted separately. Supports are anonymous.",
    "results.kinds_chart": "Published contributions by kind",
    "results.kind": "Kind",
    "results.kind.suggestion": "Ideas",
    "results.kind.answers": "Questionnaire answers",
    "results.kind.comment": "Comments",
    "results.weeks_chart": "Published contributions per week",
    "results.week": "Week",
    "results.week_of": "Week of {date}",
    "results.count": "Count",
    "results.share": "Share",
    "results.share_of_respondents": "Share of respondents",
    "results.questions": "Questionnaire answers",
    "results.respondents.one": "{count} person answered this question.",
    "results.respondents.other": "{count} people answered this question.",
    "results.multiple_note": "Several answers allowed: shares are of respondents and may add up to more than 100%.",
    "results.mean": "Mean:",
    "results.median": "median:",
    "results.scale_range": "scale from {min} to {max}",
    "results.value": "Score",
    "results.choice": "Answer",
    "results.all_answers.one": "See the answer",
    "results.all_answers.other": "See all {count} answers",
    "results.tags": "Themes:",
    "results.themes": "Themes raised",
    "results.themes_note": "Themes are assigned by the consultation team following the published codebook; "
    "a contribution may have several.",
    "results.themes_chart": "Contributions per theme",
    "results.theme": "Theme",
    "results.contribution_ref": "Contribution {id}",
    "opendata.results_heading": "The figures of the results pages",
    "opendata.results_intro": "For each results page, the same figures as CSV: participation, contributions per "
    "week, a row per question (respondents, mean, median), a file per question (the count of each answer, or "
    "the free-text answers) and per theme of the codebook.",
})

# Merged proposals, support goals, the home page's proposals, feeds (issue 12, items 5, 6, 8).
STRINGS["fr"].update({
    "proposal_status.fusionnee": "Fusionnée",
    "proposal.merged_into": "Cette proposition a été fusionnée avec une autre qui dit la même chose"
    f"{_NB}: ses soutiens y sont comptés, une fois par personne. La suite se passe sur",
    "proposal.merged_count.one": "{count} proposition fusionnée dans celle-ci",
    "proposal.merged_count.other": "{count} propositions fusionnées dans celle-ci",
    "proposal.goal.one": "{count} soutien sur {goal}",
    "proposal.goal.other": "{count} soutiens sur {goal}",
    "proposal.goal_reached": "Objectif atteint",
    "proposal.merged_colon": f"{_NB}:",
    "proposal.goal_hint": "Objectif de la consultation{_NB}: {goal} soutiens pour qu'une proposition soit étudiée"
    .replace("{_NB}", _NB),
    "home.most_supported": "Les propositions les plus soutenues",
    "home.latest_answered": "Les dernières réponses officielles",
    "home.answered_on": "Réponse du",
    "feed.new_proposal": f"Nouvelle proposition{_NB}: {{proposal}}",
    "feed.response": f"Réponse officielle{_NB}: {{proposal}}",
    "cli.merge.done": f"fusionnée dans «{_NB}{{keep}}{_NB}»{_NB}: {{path}}",
    "check.merge.unknown": "'merged_into' : la proposition « {slug} » n'existe pas dans cette consultation"
    .replace(" :", f"{_NB}:").replace("« ", f"«{_NB}").replace(" »", f"{_NB}»"),
    "check.merge.self": "'merged_into' : une proposition ne peut pas être fusionnée avec elle-même"
    .replace(" :", f"{_NB}:"),
    "check.merge.chain": "'merged_into' : « {slug} » est elle-même fusionnée dans « {next} » ; indiquez "
    "directement la proposition gardée".replace(" :", f"{_NB}:").replace(" ;", f"{_NB};")
    .replace("« ", f"«{_NB}").replace(" »", f"{_NB}»"),
    "check.merge.cycle": "'merged_into' : ces fusions forment une boucle ({cycle}) ; une seule proposition doit "
    "rester".replace(" :", f"{_NB}:").replace(" ;", f"{_NB};"),
    "check.merge.hint": "propositions de cette consultation{_NB}: {slugs}".replace("{_NB}", _NB),
    "check.goal": "'support_goal' doit être un nombre entier d'au moins 1",
})
STRINGS["en"].update({
    "proposal_status.fusionnee": "Merged",
    "proposal.merged_into": "This proposal was merged with another that says the same: its supports are counted "
    "there, once per person. It goes on at",
    "proposal.merged_count.one": "{count} proposal merged into this one",
    "proposal.merged_count.other": "{count} proposals merged into this one",
    "proposal.goal.one": "{count} supporter of {goal}",
    "proposal.goal.other": "{count} supporters of {goal}",
    "proposal.goal_reached": "Goal reached",
    "proposal.merged_colon": ":",
    "proposal.goal_hint": "The consultation's goal: {goal} supporters for a proposal to be studied",
    "home.most_supported": "Most supported proposals",
    "home.latest_answered": "Latest official responses",
    "home.answered_on": "Response of",
    "feed.new_proposal": "New proposal: {proposal}",
    "feed.response": "Official response: {proposal}",
    "cli.merge.done": "merged into “{keep}”: {path}",
    "check.merge.unknown": "'merged_into': there is no proposal '{slug}' in this consultation",
    "check.merge.self": "'merged_into': a proposal cannot be merged into itself",
    "check.merge.chain": "'merged_into': '{slug}' is itself merged into '{next}'; name the kept proposal directly",
    "check.merge.cycle": "'merged_into': these merges go round in a loop ({cycle}); one proposal must stay",
    "check.merge.hint": "proposals of this consultation: {slugs}",
    "check.goal": "'support_goal' must be a whole number of at least 1",
})

# E-mail: the opt-in boxes, the follow form, the handler's mail pages (consult/forms/mail.py) and the
# messages `consult notify` sends (consult/notify.py, templates email/*).
STRINGS["fr"].update(_french_spaces({
    "form.email_hint": "Elle reste privée : jamais publiée, elle sert uniquement à vous prévenir, si vous "
    "cochez une case ci-dessous.",
    "form.notify.contribution": "Prévenez-moi de la suite donnée à ma contribution",
    "form.notify.proposal": "Prévenez-moi de la réponse de {organisation}",
    "form.notify_legend": "Être prévenu·e par courriel",
    "form.support_email_label": "Votre adresse électronique",
    "form.support_email_hint": "Votre soutien comptera une fois suivi le lien de confirmation envoyé à cette "
    "adresse ; elle n'est jamais publiée.",
    "follow.heading": "Être prévenu·e des résultats",
    "follow.intro": "Recevez un courriel quand {organisation} publie la synthèse ou les résultats de cette "
    "consultation. Un lien de confirmation vous sera d'abord envoyé ; rien d'autre ne vous sera envoyé.",
    "follow.email_label": "Votre adresse électronique",
    "follow.submit": "Être prévenu·e",
    "proposal.verified_supports": "soutiens vérifiés par courriel",
    "mail.back": "Retour au site",
    "mail.kept": "Ce que vous aviez saisi :",
    "mail.address": "Adresse électronique",
    "mail.malformed.title": "Demande incomplète",
    "mail.malformed.text": "Cette demande n'a pas pu être lue. Revenez à la page de la consultation et réessayez.",
    "mail.follow_invalid.title": "Adresse électronique à corriger",
    "mail.follow_invalid.text": "Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
    "mail.follow_rate.title": "Trop de demandes",
    "mail.follow_rate.text": "Trop de demandes depuis votre connexion : réessayez dans une heure.",
    "mail.follow_sent.title": "Vérifiez votre messagerie",
    "mail.follow_sent.text": "Si cette adresse est valide, un lien de confirmation vient de lui être envoyé. "
    "Vous ne serez prévenu·e qu'après l'avoir suivi (il reste valable {days} jours).",
    "mail.unavailable.title": "Service momentanément indisponible",
    "mail.unavailable.text": "Votre demande n'a pas pu être enregistrée. Réessayez dans quelques minutes.",
    "mail.link_forged.title": "Lien invalide",
    "mail.link_forged.text": "Ce lien n'est pas valide : il a peut-être été coupé ou modifié. Copiez-le en entier "
    "depuis le courriel reçu.",
    "mail.link_expired.title": "Lien expiré",
    "mail.link_expired.text": "Ce lien de confirmation a expiré. Refaites la demande depuis le site pour en recevoir "
    "un nouveau.",
    "mail.link_gone.title": "Demande introuvable",
    "mail.link_gone.text": "Cette demande n'existe plus (elle a été annulée ou a expiré). Refaites-la depuis le site.",
    "mail.follow_confirmed.title": "Adresse confirmée",
    "mail.follow_confirmed.text": "Merci : vous serez prévenu·e de la synthèse et des résultats de la consultation.",
    "mail.support_counted.title": "Soutien confirmé",
    "mail.support_counted.text": "Merci : votre soutien est enregistré. Il apparaîtra dans le décompte à la "
    "prochaine mise à jour du site.",
    "mail.support_duplicate.title": "Soutien déjà compté",
    "mail.support_duplicate.text": "Cette adresse a déjà soutenu cette proposition : le soutien n'est compté "
    "qu'une fois.",
    "mail.unsubscribe.title": "Se désinscrire",
    "mail.unsubscribe.text": "Vous ne recevrez plus aucun courriel de ce site à cette adresse.",
    "mail.unsubscribe.button": "Me désinscrire",
    "mail.unsubscribed.title": "Désinscription faite",
    "mail.unsubscribed.text": "C'est fait : plus aucun courriel ne sera envoyé à cette adresse, et elle a été "
    "effacée de nos listes d'envoi.",
    "email.digest.subject": "{organisation} : des nouvelles de votre participation",
    "email.confirm.subject.follow": "{organisation} : confirmez votre adresse",
    "email.confirm.subject.support": "{organisation} : confirmez votre soutien",
    "email.hello": "Bonjour,",
    "email.intro": "Voici ce qui s'est passé depuis notre dernier message.",
    "email.event.published": "Votre contribution du {date} à la consultation « {consultation} » a été publiée.",
    "email.event.rejected": "Votre contribution du {date} à la consultation « {consultation} » n'a pas été "
    "publiée. Motif : {reason}.",
    "email.event.became_proposal": "Votre idée est devenue une proposition : « {title} ».",
    "email.event.status": "La proposition « {title} » a changé de statut : {status}.",
    "email.event.response": "{organisation} a répondu à la proposition « {title} » :",
    "email.event.synthesis": "La synthèse de la consultation « {consultation} » est publiée.",
    "email.event.results": "Les résultats de la consultation « {consultation} » sont publiés.",
    "email.link": "Voir la page",
    "email.charter": "Lire la charte de modération",
    "email.why.contribution": "Vous recevez ce message parce que vous avez demandé à être prévenu·e de la suite "
    "donnée à votre contribution.",
    "email.why.proposal": "Vous recevez ce message parce que vous avez demandé à être prévenu·e de la réponse à "
    "une proposition.",
    "email.why.consultation": "Vous recevez ce message parce que vous avez demandé à être prévenu·e des "
    "résultats d'une consultation, et confirmé votre adresse.",
    "email.unsubscribe": "Ne plus recevoir de courriels de ce site (un clic) :",
    "email.confirm.follow": "Vous avez demandé à être prévenu·e des résultats de la consultation « {title} ». "
    "Pour confirmer votre adresse, suivez ce lien (valable {days} jours) :",
    "email.confirm.support": "Vous avez soutenu la proposition « {title} ». Pour que votre soutien compte, suivez "
    "ce lien (valable {days} jours) :",
    "email.confirm.ignore": "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien ne vous "
    "sera envoyé.",
    "email.signature": "L'équipe de {organisation}",
}))
STRINGS["en"].update({
    "form.email_hint": "It stays private: never published, it is only used to tell you, if you tick a box below.",
    "form.notify.contribution": "Tell me what becomes of my contribution",
    "form.notify.proposal": "Tell me when {organisation} answers",
    "form.notify_legend": "Be told by email",
    "form.support_email_label": "Your email address",
    "form.support_email_hint": "Your support counts once you follow the confirmation link sent to this address; "
    "it is never published.",
    "follow.heading": "Be told of the results",
    "follow.intro": "Get an email when {organisation} publishes the synthesis or results of this consultation. "
    "A confirmation link is sent first; nothing else is sent to you.",
    "follow.email_label": "Your email address",
    "follow.submit": "Tell me",
    "proposal.verified_supports": "supports verified by email",
    "mail.back": "Back to the site",
    "mail.kept": "What you typed:",
    "mail.address": "Email address",
    "mail.malformed.title": "Incomplete request",
    "mail.malformed.text": "This request could not be read. Go back to the consultation's page and try again.",
    "mail.follow_invalid.title": "Email address to fix",
    "mail.follow_invalid.text": "Enter a valid email address, like name@example.org.",
    "mail.follow_rate.title": "Too many requests",
    "mail.follow_rate.text": "Too many requests from your connection: try again in an hour.",
    "mail.follow_sent.title": "Check your mailbox",
    "mail.follow_sent.text": "If this address is valid, a confirmation link was just sent to it. You will be told "
    "only once you follow it (it works for {days} days).",
    "mail.unavailable.title": "Service unavailable for a moment",
    "mail.unavailable.text": "Your request could not be saved. Try again in a few minutes.",
    "mail.link_forged.title": "Invalid link",
    "mail.link_forged.text": "This link is not valid: it may have been cut or changed. Copy it whole from the email.",
    "mail.link_expired.title": "Expired link",
    "mail.link_expired.text": "This confirmation link has expired. Ask again on the site to get a new one.",
    "mail.link_gone.title": "Request not found",
    "mail.link_gone.text": "This request no longer exists (cancelled or expired). Make it again on the site.",
    "mail.follow_confirmed.title": "Address confirmed",
    "mail.follow_confirmed.text": "Thank you: you will be told of the consultation's synthesis and results.",
    "mail.support_counted.title": "Support confirmed",
    "mail.support_counted.text": "Thank you: your support is saved. It will show in the count at the site's next "
    "update.",
    "mail.support_duplicate.title": "Support already counted",
    "mail.support_duplicate.text": "This address already supported this proposal: a support counts once.",
    "mail.unsubscribe.title": "Unsubscribe",
    "mail.unsubscribe.text": "You will get no more email from this site at this address.",
    "mail.unsubscribe.button": "Unsubscribe me",
    "mail.unsubscribed.title": "Unsubscribed",
    "mail.unsubscribed.text": "Done: no more email will be sent to this address, and it was removed from our "
    "mailing lists.",
    "email.digest.subject": "{organisation}: news of your participation",
    "email.confirm.subject.follow": "{organisation}: confirm your address",
    "email.confirm.subject.support": "{organisation}: confirm your support",
    "email.hello": "Hello,",
    "email.intro": "Here is what happened since our last message.",
    "email.event.published": "Your contribution of {date} to the consultation “{consultation}” was published.",
    "email.event.rejected": "Your contribution of {date} to the consultation “{consultation}” was not published. "
    "Reason: {reason}.",
    "email.event.became_proposal": "Your idea became a proposal: “{title}”.",
    "email.event.status": "The proposal “{title}” has a new status: {status}.",
    "email.event.response": "{organisation} answered the proposal “{title}”:",
    "email.event.synthesis": "The synthesis of the consultation “{consultation}” is published.",
    "email.event.results": "The results of the consultation “{consultation}” are published.",
    "email.link": "See the page",
    "email.charter": "Read the moderation charter",
    "email.why.contribution": "You get this message because you asked to be told what becomes of your "
    "contribution.",
    "email.why.proposal": "You get this message because you asked to be told of the answer to a proposal.",
    "email.why.consultation": "You get this message because you asked to be told of a consultation's results, "
    "and confirmed your address.",
    "email.unsubscribe": "Stop getting email from this site (one click):",
    "email.confirm.follow": "You asked to be told of the results of the consultation “{title}”. To confirm your "
    "address, follow this link (it works for {days} days):",
    "email.confirm.support": "You supported the proposal “{title}”. For your support to count, follow this link "
    "(it works for {days} days):",
    "email.confirm.ignore": "If you did not ask for this, ignore this message: nothing will be sent to you.",
    "email.signature": "The {organisation} team",
})

# The public moderation report of each consultation (render._render_moderation, moderation.html).
STRINGS["fr"].update(_french_spaces({
    "moderation_report.link": "Rapport de modération",
    "moderation_report.title": "Rapport de modération : {title}",
    "moderation_report.intro": "Ce que l'équipe de modération a fait des contributions reçues, compté à partir "
    "des fichiers du site. Aucun texte refusé ni aucune donnée personnelle n'apparaît ici.",
    "moderation_report.mode.pre": "Modération a priori : chaque contribution est relue avant d'être publiée.",
    "moderation_report.mode.post": "Modération a posteriori : une contribution qu'aucun contrôle automatique ne "
    "signale est publiée aussitôt, puis peut être signalée et retirée ; les autres attendent une relecture.",
    "moderation_report.figures": "Les contributions",
    "moderation_report.figure": "Mesure",
    "moderation_report.value": "Nombre",
    "moderation_report.received": "Reçues",
    "moderation_report.published": "Publiées",
    "moderation_report.auto_published": "dont publiées aussitôt (modération a posteriori)",
    "moderation_report.pending": "En attente de relecture",
    "moderation_report.rejected": "Refusées",
    "moderation_report.reported": "Signalées par des participants",
    "moderation_report.reported_kept": "dont gardées après relecture",
    "moderation_report.reported_unpublished": "dont dépubliées après relecture",
    "moderation_report.median": "Délai médian entre l'envoi et la décision",
    "moderation_report.median_over.one": "Délai médian calculé sur {count} contribution dont la date de décision "
    "est connue.",
    "moderation_report.median_over.other": "Délai médian calculé sur {count} contributions dont la date de "
    "décision est connue.",
    "moderation_report.none": "non connu",
    "moderation_report.under_hour": "moins d'une heure",
    "moderation_report.hours.one": "{count} heure",
    "moderation_report.hours.other": "{count} heures",
    "moderation_report.days.one": "{count} jour",
    "moderation_report.days.other": "{count} jours",
    "moderation_report.reasons": "Refus par motif",
    "moderation_report.reason": "Motif (charte de modération)",
    "moderation_report.no_rejection": "Aucune contribution refusée.",
    "moderation_report.charter": "Les motifs sont ceux de la",
    "moderation_report.charter_link": "charte de modération",
    "moderation_report.flags": "Signalements, par type",
    "moderation_report.flags_intro": "Un signalement attire l'attention d'une personne ; il ne décide jamais rien.",
    "moderation_report.flag": "Signalement",
    "moderation_report.no_flag": "Aucun signalement.",
    "moderation_report.opendata": "Ces chiffres sont aussi en données ouvertes.",
    "moderation_report.list": "Rapports de modération des consultations",
}))
STRINGS["en"].update({
    "moderation_report.link": "Moderation report",
    "moderation_report.title": "Moderation report: {title}",
    "moderation_report.intro": "What the moderation team did with the contributions received, counted from the "
    "site's files. No rejected text and no personal data appear here.",
    "moderation_report.mode.pre": "Pre-moderation: every contribution is reviewed before it is published.",
    "moderation_report.mode.post": "Post-moderation: a contribution no automatic check flags is published at once, "
    "then may be reported and taken down; the others wait for a review.",
    "moderation_report.figures": "The contributions",
    "moderation_report.figure": "Measure",
    "moderation_report.value": "Number",
    "moderation_report.received": "Received",
    "moderation_report.published": "Published",
    "moderation_report.auto_published": "of which published at once (post-moderation)",
    "moderation_report.pending": "Waiting for review",
    "moderation_report.rejected": "Rejected",
    "moderation_report.reported": "Reported by participants",
    "moderation_report.reported_kept": "of which kept after review",
    "moderation_report.reported_unpublished": "of which unpublished after review",
    "moderation_report.median": "Median time from submission to decision",
    "moderation_report.median_over.one": "Median time over {count} contribution whose decision date is known.",
    "moderation_report.median_over.other": "Median time over {count} contributions whose decision date is known.",
    "moderation_report.none": "not known",
    "moderation_report.under_hour": "under an hour",
    "moderation_report.hours.one": "{count} hour",
    "moderation_report.hours.other": "{count} hours",
    "moderation_report.days.one": "{count} day",
    "moderation_report.days.other": "{count} days",
    "moderation_report.reasons": "Rejections by reason",
    "moderation_report.reason": "Reason (moderation charter)",
    "moderation_report.no_rejection": "No contribution rejected.",
    "moderation_report.charter": "The reasons are those of the",
    "moderation_report.charter_link": "moderation charter",
    "moderation_report.flags": "Flags, by type",
    "moderation_report.flags_intro": "A flag draws a person's attention; it never decides anything.",
    "moderation_report.flag": "Flag",
    "moderation_report.no_flag": "No flag.",
    "moderation_report.opendata": "These figures are in the open data too.",
    "moderation_report.list": "Moderation reports of the consultations",
})

# The DSFR theme (themes/dsfr/) and `consult check`'s reminder that it is reserved to the State.
STRINGS["fr"].update(_french_spaces({
    "chrome.skip_nav_label": "Accès rapide",
    "check.dsfr_reserved": "attention : le thème dsfr (Système de design de l'État) est réservé aux services de l'État : "
    "ministères, préfectures, services déconcentrés, opérateurs autorisés",
    "check.dsfr_hint": "une collectivité, une association ou une entreprise garde le thème par défaut, "
    "theme: default, avec son logo et sa couleur",
}))
STRINGS["en"].update({
    "chrome.skip_nav_label": "Quick access",
    "check.dsfr_reserved": "warning: the dsfr theme (the French State's design system) is reserved to State entities "
    "(services de l'État): ministries, prefectures, devolved services, authorised public bodies",
    "check.dsfr_hint": "a local authority, an association or a company keeps the default theme, theme: default, "
    "with its own logo and colour",
})

# The lists of a consultation's proposals (consult/facets.py, proposals.html, facets.js) and the search page.
STRINGS["fr"].update({
    "facets.title": "Les propositions – {title}",
    "facets.all_proposals.one": "Voir la proposition, la filtrer et la trier",
    "facets.all_proposals.other": "Voir les {count} propositions, les filtrer et les trier",
    "facets.controls_label": "Filtrer et trier les propositions",
    "facets.hint": "Choisissez un filtre ou un tri (sans JavaScript, un seul à la fois).",
    "facets.all": "Toutes les propositions",
    "facets.facet.categorie": f"Catégorie{_NB}:",
    "facets.facet.statut": f"Statut{_NB}:",
    "facets.facet.origine": f"Origine{_NB}:",
    "facets.facet.tri": f"Trier par{_NB}:",
    "facets.origin.citizen": "Citoyenne",
    "facets.origin.agency": "De l’organisme",
    "facets.sort.soutiens": "Les plus soutenues",
    "facets.sort.recentes": "Les plus récentes",
    "facets.sort.reponses": "Réponses les plus récentes",
    "facets.pages_label": "Pages de propositions",
    "search.title": "Rechercher",
    "search.label": "Rechercher dans les consultations, les propositions et les pages",
    "search.submit": "Rechercher",
    "search.intro": "La recherche porte sur les consultations, les propositions publiées et les pages du site.",
    "search.no_js": "La recherche fonctionne dans votre navigateur avec JavaScript, qui semble désactivé. "
    f"Vous pouvez parcourir{_NB}:",
    "search.browse_consultations": "toutes les consultations",
    "search.browse_proposals": f"les propositions de «{_NB}{{title}}{_NB}»",
    "search.unavailable": "La recherche n’est pas disponible sur ce site pour le moment.",
    "search.results.one": f"{{count}} résultat pour «{_NB}{{query}}{_NB}»",
    "search.results.other": f"{{count}} résultats pour «{_NB}{{query}}{_NB}»",
    "search.searching": "Recherche en cours…",
})
STRINGS["en"].update({
    "facets.title": "Proposals – {title}",
    "facets.all_proposals.one": "See the proposal, filter and sort",
    "facets.all_proposals.other": "See the {count} proposals, filter and sort them",
    "facets.controls_label": "Filter and sort the proposals",
    "facets.hint": "Choose a filter or a sort (without JavaScript, one at a time).",
    "facets.all": "All proposals",
    "facets.facet.categorie": "Category:",
    "facets.facet.statut": "Status:",
    "facets.facet.origine": "Origin:",
    "facets.facet.tri": "Sort by:",
    "facets.origin.citizen": "Citizens",
    "facets.origin.agency": "The organisation",
    "facets.sort.soutiens": "Most supported",
    "facets.sort.recentes": "Newest",
    "facets.sort.reponses": "Recently answered",
    "facets.pages_label": "Proposal pages",
    "search.title": "Search",
    "search.label": "Search the consultations, proposals and pages",
    "search.submit": "Search",
    "search.intro": "Search covers the consultations, the published proposals and the pages of this site.",
    "search.no_js": "Search runs in your browser with JavaScript, which seems to be off. You can browse:",
    "search.browse_consultations": "all consultations",
    "search.browse_proposals": "the proposals of “{title}”",
    "search.unavailable": "Search is not available on this site at the moment.",
    "search.results.one": "{count} result for “{query}”",
    "search.results.other": "{count} results for “{query}”",
    "search.searching": "Searching…",
})

def reason_label(code: str, language: str) -> str:
    """The charter's wording of a moderation reason code (a site's own codes have none: the code itself)."""
    try:
        return translate(language, f"reason.{code}")
    except KeyError:
        return code
