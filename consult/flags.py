"""Flags: why a moderator should look at a contribution, said once for every stage.

The handler records suspicion as flags on the inbox row (never a silent drop),
`consult pull` writes them as a `flags:` list in the contribution's front matter,
`consult check` accepts them, and `consult moderate` and the pull-request text show
them first, with these words. A pure table: it imports nothing of consult.
"""

from __future__ import annotations

# code -> (French, English): a sentence a moderator understands.
FLAGS: dict[str, tuple[str, str]] = {
    "too-fast": ("Envoyé très vite après l'affichage du formulaire (robot ?)",
                 "Sent very soon after the form was shown (a bot?)"),
    "no-token": ("Envoyé sans le jeton de temps du formulaire (JavaScript désactivé, ou robot)",
                 "Sent without the form's time token (JavaScript off, or a bot)"),
    "bad-token": ("Jeton de temps invalide (formulaire falsifié, ou secret du serveur changé)",
                  "Invalid time token (a forged form, or the server secret changed)"),
    "old-token": ("Formulaire affiché plus de 24 heures avant l'envoi",
                  "Form shown more than 24 hours before it was sent"),
    "foreign-token": ("Jeton de temps pris sur un autre formulaire (autre consultation ou autre type)",
                      "Time token taken from another form (another consultation or kind)"),
    "rate": ("Nombreux envois depuis la même connexion dans l'heure",
             "Many submissions from the same connection within the hour"),
    "cross-site": ("Envoyé depuis une page d'un autre site (origine différente)",
                   "Sent from a page of another site (different origin)"),
    "altcha": ("Preuve de travail ALTCHA absente, invalide ou déjà utilisée",
               "ALTCHA proof of work missing, invalid or already used"),
    "honeypot": ("Champ piège rempli (invisible pour une personne) : très probablement un robot",
                 "Trap field filled in (invisible to a person): most likely a bot"),
    "orphan": ("Vise une proposition ou une question qui n'existe plus (renommée ou supprimée)",
               "Refers to a proposal or question that no longer exists (renamed or removed)"),
    "personal-email": ("Adresse e-mail dans le texte (donnée personnelle : à retirer avant publication)",
                       "E-mail address in the text (personal data: remove it before publishing)"),
    "personal-phone": ("Numéro de téléphone dans le texte (donnée personnelle)",
                       "Phone number in the text (personal data)"),
    "personal-iban": ("IBAN (coordonnées bancaires) dans le texte (donnée personnelle)",
                      "IBAN (bank account) in the text (personal data)"),
    "personal-nir": ("Numéro de sécurité sociale (NIR) dans le texte (donnée personnelle sensible)",
                     "French social security number (NIR) in the text (sensitive personal data)"),
    "links": ("Nombreux liens dans le texte (publicité ?)",
              "Many links in the text (advertising?)"),
    "url-shortener": ("Lien raccourci (bit.ly…) : la vraie destination est cachée",
                      "Shortened link (bit.ly…): the real destination is hidden"),
    "capitals": ("Texte presque entièrement en majuscules",
                 "Text almost entirely in capitals"),
    "repeated-chars": ("Caractère répété de nombreuses fois (« !!!!!! », « nooooon »)",
                       "A character repeated many times (\"!!!!!!\", \"nooooo\")"),
    "listed-word": ("Contient un mot de la liste du site (moderation.words)",
                    "Contains a word of the site's list (moderation.words)"),
    "reported": ("Signalée par un participant (« Signaler ce contenu ») : à relire, puis garder ou dépublier",
                 "Reported by a participant (\"Report this content\"): review it, then keep or unpublish it"),
    "near-duplicate": ("Presque identique à une autre contribution de la consultation (voir duplicate_of)",
                       "Nearly identical to another contribution of the consultation (see duplicate_of)"),
}

# Only this one holds a row back in the inbox: no person can fill a field they cannot see.
HELD = frozenset({"honeypot"})


def held_reason(kind: str, codes: tuple[str, ...] | list[str]) -> str:
    """The flag that holds a row back in the inbox ('' when it is pulled like any other).

    A HELD flag holds any row. A support holds on any flag at all: it has no text, so no
    moderator would ever see its flags in a pull request, and it would simply be counted;
    held, it waits for `consult held release`, so a published count is only of clean
    supports and of those a person released.
    """
    held = next((code for code in codes if code in HELD), "")
    if held or kind != "support":
        return held
    return codes[0] if codes else ""


def describe(code: str, language: str = "fr") -> str:
    """The moderator's sentence for `code` in `language` (fr, else en); the code itself if unknown."""
    texts = FLAGS.get(code)
    if texts is None:
        return code
    return texts[0] if language == "fr" else texts[1]


def parse_flags(text: str) -> tuple[str, ...]:
    """The inbox's comma-separated flags as a tuple, in a stable order, without repeats."""
    seen: list[str] = []
    for code in (part.strip() for part in text.split(",")):
        if code and code not in seen:
            seen.append(code)
    return tuple(seen)
