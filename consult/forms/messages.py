"""The handler's own words, in French (default) and English: field errors and refusals."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "body.required": "Écrivez votre texte.",
        "reason.required": "Choisissez le motif du signalement.",
        "title.required": "Donnez un titre à votre proposition.",
        "answers.required": "Répondez à au moins une question.",
        "too_long": "Ce texte dépasse {max} caractères ({length} actuellement) : raccourcissez-le.",
        "question.required": "Répondez à la question « {label} ».",
        "question.choice": "Choisissez une des réponses proposées pour « {label} ».",
        "question.scale": "Choisissez une valeur entre {min} et {max} pour « {label} ».",
        "email.invalid": "Saisissez une adresse électronique valide, par exemple nom@exemple.fr, ou laissez ce champ vide.",
        "email.needed": "Pour être prévenu·e, indiquez votre adresse électronique (ou décochez la case).",
        "email.required_verified": "Indiquez votre adresse électronique : votre soutien comptera une fois le lien "
                                   "de confirmation suivi.",
        "form.conflict": "Ce formulaire a déjà été envoyé avec un autre texte. Votre texte est conservé ci-dessous : "
                         "renvoyez-le pour qu’il soit enregistré comme une nouvelle contribution.",
        "form.unavailable": "Votre contribution n’a pas pu être enregistrée (service momentanément indisponible). "
                            "Votre texte est conservé ci-dessous : réessayez dans quelques minutes.",
        "form.rate": "Trop d’envois depuis votre connexion en peu de temps. Votre texte est conservé ci-dessous : "
                     "réessayez dans une heure.",
        "form.altcha": "La vérification anti-robot n’a pas abouti. Réessayez.",
        "support.confirm": "Pour confirmer votre soutien, appuyez à nouveau sur le bouton « Je soutiens cette "
                           "proposition » ci-dessous. Cette étape écarte les soutiens automatiques.",
        "closed.title": "Cette consultation est close",
        "closed.text": "La consultation « {title} » a pris fin : elle ne reçoit plus de contributions. "
                       "Merci de votre intérêt.",
        "upcoming.title": "Cette consultation n’est pas encore ouverte",
        "upcoming.text": "La consultation « {title} » n’est pas encore ouverte aux contributions.",
        "decided.title": "Cette proposition ne reçoit plus de soutiens",
        "decided.text": "Une décision définitive a été prise sur « {title} » : la proposition ne reçoit plus de "
                        "soutiens. Merci de votre intérêt.",
        "decided.back": "Revenir à la proposition",
        "refused.keep": "Voici le texte que vous avez écrit, pour que vous puissiez le copier et le conserver :",
        "refused.back": "Revenir à la consultation",
        "malformed.title": "Demande incorrecte",
        "malformed.text": "Cette demande ne vient pas d’un formulaire du site et n’a pas été enregistrée.",
        "notfound.title": "Page introuvable",
        "verify.title": "Confirmez votre soutien",
        "verify.text": "Un lien de confirmation a été envoyé à votre adresse électronique. Votre soutien comptera "
                       "une fois ce lien suivi (il reste valable 7 jours).",
        "malformed.form": "Votre contribution n’a pas été enregistrée : le formulaire a changé depuis que vous "
                          "l’avez ouvert. Votre texte est conservé ci-dessous : vérifiez vos réponses et renvoyez-le.",
        "malformed.too_large": "Votre envoi est trop volumineux pour être enregistré. Votre texte est conservé "
                               "ci-dessous : raccourcissez-le et renvoyez-le.",
        "kept.title": "Titre",
        "kept.body": "Texte",
        "kept.answer": "Réponse « {id} »",
    },
    "en": {
        "body.required": "Write your text.",
        "reason.required": "Choose the reason for the report.",
        "title.required": "Give your proposal a title.",
        "answers.required": "Answer at least one question.",
        "too_long": "This text is longer than {max} characters ({length} now): please shorten it.",
        "question.required": "Answer the question “{label}”.",
        "question.choice": "Choose one of the offered answers for “{label}”.",
        "question.scale": "Choose a value between {min} and {max} for “{label}”.",
        "email.invalid": "Enter a valid email address, like name@example.org, or leave this field empty.",
        "email.needed": "To be told, enter your email address (or untick the box).",
        "email.required_verified": "Enter your email address: your support counts once you follow the confirmation "
                                   "link.",
        "form.conflict": "This form was already sent with a different text. Your text is kept below: "
                         "send it again to save it as a new contribution.",
        "form.unavailable": "Your contribution could not be saved (service temporarily unavailable). "
                            "Your text is kept below: try again in a few minutes.",
        "form.rate": "Too many submissions from your connection in a short time. Your text is kept below: "
                     "try again in an hour.",
        "form.altcha": "The anti-robot check did not succeed. Please try again.",
        "support.confirm": "To confirm your support, press the “I support this proposal” button below again. "
                           "This step keeps out automatic supports.",
        "closed.title": "This consultation is closed",
        "closed.text": "The consultation “{title}” has ended: it no longer accepts contributions. "
                       "Thank you for your interest.",
        "upcoming.title": "This consultation is not open yet",
        "upcoming.text": "The consultation “{title}” is not open to contributions yet.",
        "decided.title": "This proposal takes no more supports",
        "decided.text": "A final decision has been made on “{title}”: the proposal takes no more supports. "
                        "Thank you for your interest.",
        "decided.back": "Back to the proposal",
        "refused.keep": "Here is the text you wrote, so that you can copy and keep it:",
        "refused.back": "Back to the consultation",
        "malformed.title": "Bad request",
        "malformed.text": "This request does not come from a form of this site and was not saved.",
        "notfound.title": "Page not found",
        "verify.title": "Confirm your support",
        "verify.text": "A confirmation link was sent to your email address. Your support counts once you follow "
                       "it (it works for 7 days).",
        "malformed.form": "Your contribution was not saved: the form changed since you opened it. "
                          "Your text is kept below: check your answers and send it again.",
        "malformed.too_large": "Your submission is too large to be saved. Your text is kept below: "
                               "shorten it and send it again.",
        "kept.title": "Title",
        "kept.body": "Text",
        "kept.answer": "Answer “{id}”",
    },
}


def message(language: str, key: str, **params: object) -> str:
    table = MESSAGES.get(language) or MESSAGES["fr"]
    text = table[key]
    return text.format(**params) if params else text
