"""The text of every message, in English and French, rendered from plain parameters.

Workers have no Flask request to take a locale from, so the catalogue lives here, in the
core: each kind has a title and a body per language, ``str.format`` templates over the
parameters the router kept (never a secret: see :func:`postgate.notifications.router.safe`).
``tests/postgate/test_notify_messages.py`` fails while a kind lacks a language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postgate.notifications.kinds import LANGUAGES, Kind
from postgate.reason_words import catalogue, notification_params

Texts = dict[str, tuple[str, str]]  # language -> (title, body)

CATALOGUE: dict[Kind, Texts] = {
    Kind.REVIEW_PENDING: {
        "en": ("Post #{post} awaits your review", "{author} submitted a post on {account}."),
        "fr": (
            "La publication n° {post} attend votre relecture",
            "{author} a soumis une publication sur {account}.",
        ),
    },
    Kind.REVIEW_DIGEST: {
        "en": ("{count} posts await your review", "Posts awaiting your review:\n{lines}"),
        "fr": (
            "{count} publications attendent votre relecture",
            "Publications à relire :\n{lines}",
        ),
    },
    Kind.REVIEW_REMINDER: {
        "en": (
            "Post #{post} is due at {scheduled_at} and still lacks approvals",
            "The post on {account} is scheduled for {scheduled_at} and still needs "
            "{missing} approval(s) before it can go out.",
        ),
        "fr": (
            "La publication n° {post} est prévue le {scheduled_at} et n’est pas encore approuvée",
            "La publication sur {account} est prévue le {scheduled_at} ; il lui manque encore "
            "{missing} approbation(s) pour être publiée.",
        ),
    },
    Kind.POST_APPROVED: {
        "en": ("Post #{post} approved", "{by} approved your post on {account}."),
        "fr": (
            "Publication n° {post} approuvée",
            "{by} a approuvé votre publication sur {account}.",
        ),
    },
    Kind.POST_REJECTED: {
        "en": ("Post #{post} rejected", "{by} rejected your post on {account}: {reason}"),
        "fr": (
            "Publication n° {post} refusée",
            "{by} a refusé votre publication sur {account} : {reason}",
        ),
    },
    Kind.POST_COMMENT: {
        "en": ("New comment on post #{post}", "{by} commented on the post on {account}: {text}"),
        "fr": (
            "Nouveau commentaire sur la publication n° {post}",
            "{by} a commenté la publication sur {account} : {text}",
        ),
    },
    Kind.POST_RESCHEDULED: {
        "en": (
            "Post #{post} moved to a new time",
            "Its time had passed when {by} approved your post on {account}: they moved it to "
            "{scheduled_at} and approved that.",
        ),
        "fr": (
            "Publication n° {post} reprogrammée",
            "L’heure prévue était passée quand {by} a approuvé votre publication sur {account} : "
            "{by} l’a reprogrammée au {scheduled_at} et a approuvé ce nouvel horaire.",
        ),
    },
    Kind.POST_PUBLISHED: {
        "en": ("Post #{post} published", "Your post is live on {account}: {url}"),
        "fr": (
            "Publication n° {post} en ligne",
            "Votre publication est en ligne sur {account} : {url}",
        ),
    },
    Kind.POST_BLOCKED: {
        "en": (
            "Post #{post} blocked at publish time",
            "Your post on {account} was not published: {reason}",
        ),
        "fr": (
            "Publication n° {post} bloquée au moment d’être publiée",
            "Votre publication sur {account} n’a pas été publiée : {reason}",
        ),
    },
    Kind.POST_FAILED: {
        "en": ("Post #{post} failed", "The platform refused your post on {account}: {reason}"),
        "fr": (
            "Échec de la publication n° {post}",
            "La plateforme a refusé votre publication sur {account} : {reason}",
        ),
    },
    Kind.POST_UNRESOLVED: {
        "en": (
            "Post #{post} may or may not be online",
            "Postgate cannot tell whether your post on {account} went out ({reason}). "
            "It will not be sent again: a reviewer or the security lead must look at the "
            "account and settle it.",
        ),
        "fr": (
            "Publication n° {post} : en ligne ou non, on ne sait pas",
            "Postgate ne peut pas savoir si votre publication sur {account} est partie "
            "({reason}). Elle ne sera pas renvoyée : un relecteur ou le responsable sécurité "
            "doit vérifier le compte et trancher.",
        ),
    },
    Kind.SECURITY_LOCKOUT: {
        "en": (
            "{user} locked out",
            "Code entry is locked for {user} until {until} after repeated wrong codes.",
        ),
        "fr": (
            "Saisie de codes bloquée pour {user}",
            "La saisie de codes est bloquée pour {user} jusqu’au {until}, après plusieurs "
            "codes erronés.",
        ),
    },
    Kind.SECURITY_LOGIN_FAILURES: {
        "en": (
            "Repeated failed logins: {user}",
            "Logins for {user} from {source} are being refused after repeated failures ({limit}).",
        ),
        "fr": (
            "Échecs de connexion répétés : {user}",
            "Les connexions de {user} depuis {source} sont refusées après des échecs "
            "répétés ({limit}).",
        ),
    },
    Kind.SECURITY_ROLES: {
        "en": ("Roles of {user} changed", "{by} changed the roles of {user}: {before} → {after}."),
        "fr": (
            "Rôles de {user} modifiés",
            "{by} a modifié les rôles de {user} : {before} → {after}.",
        ),
    },
    Kind.SECURITY_TOTP: {
        "en": ("Two-factor change for {user}", "{by}: {what} for {user}."),
        "fr": ("Double authentification modifiée pour {user}", "{by} : {what_fr} pour {user}."),
    },
    Kind.SECURITY_REVOKE: {
        "en": (
            "{user} revoked",
            "{by} revoked {user}: sessions ended, unpublished approvals voided.",
        ),
        "fr": (
            "Accès de {user} révoqué",
            "{by} a révoqué {user} : sessions fermées, approbations non publiées annulées.",
        ),
    },
    Kind.SECURITY_FREEZE: {
        "en": ("Freeze: {scope}", "{by} froze {scope}: {reason}"),
        "fr": ("Gel : {scope_fr}", "{by} a gelé {scope_fr} : {reason}"),
    },
    Kind.SECURITY_LIFT: {
        "en": ("Freeze lifted: {scope}", "{by} lifted the freeze on {scope}."),
        "fr": ("Gel levé : {scope_fr}", "{by} a levé le gel sur {scope_fr}."),
    },
    Kind.SECURITY_TAKEDOWN_START: {
        "en": (
            "Takedown #{takedown} started",
            "{by} started a takedown on {accounts}, covering posts since {since}.",
        ),
        "fr": (
            "Retrait n° {takedown} lancé",
            "{by} a lancé un retrait sur {accounts}, pour les publications depuis le {since}.",
        ),
    },
    Kind.SECURITY_TAKEDOWN_DONE: {
        "en": ("Takedown #{takedown}: {status}", "Outcome of the takedown: {counts}."),
        "fr": ("Retrait n° {takedown} : {status_fr}", "Bilan du retrait : {counts}."),
    },
    Kind.SECURITY_TAKEDOWN_GAP: {
        "en": (
            "Takedown #{takedown}: something is left on {account}",
            "{reason}. Check the account by hand.",
        ),
        "fr": (
            "Retrait n° {takedown} : il reste quelque chose sur {account}",
            "{reason}. Vérifiez le compte à la main.",
        ),
    },
    Kind.SECURITY_DISCONNECTED: {
        "en": (
            "Account {account} disconnected",
            "The platform no longer accepts Postgate's credentials for {account}: {reason}",
        ),
        "fr": (
            "Compte {account} déconnecté",
            "La plateforme n’accepte plus les accès de Postgate pour {account} : {reason}",
        ),
    },
    Kind.WATCH_ALERT: {
        "en": (
            "Alert on {account}: {what}",
            "Postgate saw on {account} something it did not do ({what}) at {at}.\n{text}\n{url}",
        ),
        "fr": (
            "Alerte sur {account} : {what_fr}",
            "Postgate a constaté sur {account} une action qui ne vient pas de lui ({what_fr}), "
            "le {at}.\n{text}\n{url}",
        ),
    },
}

# A digest of one post reads in the singular.
DIGEST_OF_ONE: Texts = {
    "en": ("1 post awaits your review", "Post awaiting your review:\n{lines}"),
    "fr": ("1 publication attend votre relecture", "Publication à relire :\n{lines}"),
}

# Words the templates take in the reader's language.
WORDS: dict[str, dict[str, str]] = {
    "all accounts": {"fr": "tous les comptes"},
    "done": {"fr": "terminé"},
    "done_with_gaps": {"fr": "terminé, mais incomplet"},
    "TOTP reset": {"fr": "authentificateur réinitialisé"},
    "authenticator enrolled": {"fr": "nouvel authentificateur enregistré"},
    "none": {"fr": "aucun"},
    # The watch's alert kinds (postgate.states.AlertKind).
    "unauthorized_post": {
        "en": "a post Postgate did not publish",
        "fr": "une publication que Postgate n’a pas faite",
    },
    "edited": {
        "en": "one of Postgate's posts edited on the platform",
        "fr": "une publication de Postgate modifiée sur la plateforme",
    },
    "deleted": {
        "en": "one of Postgate's posts deleted by someone else",
        "fr": "une publication de Postgate supprimée par quelqu’un d’autre",
    },
    "profile_changed": {"en": "the profile changed", "fr": "le profil a changé"},
}


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str = ""


def word(text: str, language: str) -> str:
    return WORDS.get(text, {}).get(language, text)


def shown_time(value: Any) -> str:
    """An ISO time as ``2026-11-30 17:05 UTC`` (the offset kept when not UTC)."""
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if when.tzinfo is None:
        return when.strftime("%Y-%m-%d %H:%M")
    offset = when.strftime("%z")
    return when.strftime("%Y-%m-%d %H:%M ") + ("UTC" if offset == "+0000" else offset)


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def render(
    kind: str,
    params: dict[str, Any],
    language: str,
    base_url: str = "",
    *,
    with_link: bool = True,
    reasons: bool = True,
) -> Message:
    """The message of ``kind`` in ``language`` (English for an unknown one); ``with_link``
    ends the body with the link when the body does not show it already.

    The stored reason (written in English by the services) reads in ``language`` too, through
    the web app's compiled catalogue (:mod:`postgate.reason_words`), what a platform said
    quoted as the original; ``reasons=False`` when the caller translated it already."""
    texts = CATALOGUE.get(Kind(kind)) if kind in set(Kind) else None
    lang = language if language in LANGUAGES else "en"
    if reasons and lang != "en":
        params = notification_params(catalogue(lang), kind, params)
    values = _Defaults(_localised(params, lang))
    link = _absolute(base_url, str(params.get("link", "")))
    if texts is None:
        return Message(kind, str(params.get("text", "")), link)
    if kind == Kind.REVIEW_DIGEST and params.get("count") == 1:
        texts = DIGEST_OF_ONE
    title, body = texts[lang]
    body = body.format_map(values)
    if with_link and link and link not in body:
        body = f"{body}\n{link}"
    return Message(title.format_map(values), body, link)


def _localised(params: dict[str, Any], language: str) -> dict[str, Any]:
    values = dict(params)
    for key in ("at", "until", "since", "scheduled_at"):
        if values.get(key):
            values[key] = shown_time(values[key])
    values["scope_fr"] = word(str(values.get("scope", "")), "fr")
    values["status_fr"] = word(str(values.get("status", "")), "fr")
    values["what_fr"] = word(str(values.get("what", "")), "fr")
    values["what"] = word(str(values.get("what", "")), "en")
    if language == "fr" and "lines" in values:
        values["lines"] = str(values["lines"])
    return values


def _absolute(base_url: str, path: str) -> str:
    if not path:
        return ""
    if path.startswith(("http://", "https://")) or not base_url:
        return path
    return base_url.rstrip("/") + path
