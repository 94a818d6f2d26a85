"""A bad rules file or catalogue, as an admin reading French sees it: where (file, line,
rule, key or column) and what, in French; the English stays the record (the API, the logs,
``str(error)``)."""

from __future__ import annotations

import ast
import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.support import Translations

from gateway import create_app
from gateway.i18n import config_error_text
from rules import RuleConfigError, parse_ruleset
from tests.conftest import ROOT
from tests.gateway.test_web_rules_versions import send
from tests.helpers import Actors, WebActions

pytestmark = pytest.mark.store_neutral

TRANSLATIONS = ROOT / "gateway" / "translations"


def _rules_keywords() -> dict:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        _methods, options = parse_mapping_cfg(handle)
    return dict(options["rules/**.py"]["keywords"])


def _templates() -> list[str]:
    return sorted(
        {
            message
            for _f, _l, message, _c, _ctx in extract_from_dir(
                str(ROOT), method_map=[("rules/**.py", "python")], keywords=_rules_keywords()
            )
            if isinstance(message, str)
        }
    )


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_configuration_error_has_french_that_fits() -> None:
    templates = [t for t in _templates() if t not in {"{text}"}]
    assert len(templates) > 40, "extraction of the rule-configuration errors found too little"
    french = Translations.load(str(TRANSLATIONS), ["fr"], domain="messages")
    wrong = [
        t for t in templates if french.ugettext(t) == t or _fields(french.ugettext(t)) != _fields(t)
    ]
    assert not wrong, "no French (or other {fields}) for:\n" + "\n".join(wrong)


def test_configuration_errors_are_raised_with_literal_templates() -> None:
    """An f-string can never be found in the catalogue: values go as parameters."""
    positions = {"RuleConfigError": 0, "error": 1, "fail": 1, "refuse": 0, "_typed": 3}
    computed = []
    for path in sorted((ROOT / "rules").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in positions or len(node.args) <= positions[name]:
                continue
            argument = node.args[positions[name]]
            if isinstance(argument, ast.JoinedStr):
                computed.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not computed, "f-string templates:\n" + "\n".join(computed)


def _error(rules: bytes, catalog: bytes | None = None) -> RuleConfigError:
    with pytest.raises(RuleConfigError) as refused:
        parse_ruleset(rules, catalog)
    return refused.value


@pytest.mark.parametrize(
    ("rules", "catalog", "english", "french"),
    [
        (
            b"[[rules]]\nid = 'x'\nkind = 'nope'\n",
            None,
            "rules.toml line 2, rule \"x\", key 'kind': unknown kind 'nope'",
            "rules.toml, ligne 2, règle «\u00a0x\u00a0», clé «\u00a0kind\u00a0»\u00a0: "
            "type «\u00a0nope\u00a0» inconnu",
        ),
        (
            b"[[rules]]\nid = 'p'\nkind = 'pattern'\npattern = ''\n",
            None,
            "rules.toml line 2, rule \"p\", key 'pattern': a pattern rule needs",
            "rules.toml, ligne 2, règle «\u00a0p\u00a0», clé «\u00a0pattern\u00a0»\u00a0: "
            "une règle de motif a besoin d\u2019une expression régulière",
        ),
        (
            b"[[rules]]\nid = 'w'\nkind = 'posting_window'\nwindows = ['lun-ven 8h-20h']\n",
            None,
            "rules.toml line 2, rule \"w\", key 'windows': item 1: bad posting window",
            "rules.toml, ligne 2, règle «\u00a0w\u00a0», clé «\u00a0windows\u00a0»\u00a0: "
            "élément 1\u00a0: créneau de publication «\u00a0lun-ven 8h-20h\u00a0» invalide",
        ),
        (
            b"[[rules]]\nid = 'q'\nkind = 'prices'\n",
            b"sku,name,aliases,price,currency,promo_price,promo_start,promo_end\n"
            b'A1,Casque,,"99,00",EUR,,,\n',
            "catalog.csv line 2, column 'price'",
            "catalog.csv, ligne 2, colonne «\u00a0price\u00a0»\u00a0:",
        ),
        (  # the TOML parser's own message, its place taken out of its text
            b"[[rules]]\nid = 'x' kind\n",
            None,
            "rules.toml line 2, column 10: not valid TOML: Expected newline or end of document",
            "rules.toml, ligne 2, colonne 10\u00a0: TOML invalide\u00a0: un retour à la ligne "
            "est attendu après la valeur",
        ),
        (
            b"[[rules]]\nid = 'x'\nkind = 'prices'\n[[rules]\n",
            None,
            "rules.toml line 4, column 8: not valid TOML: Expected ']]' at the end of an array",
            "rules.toml, ligne 4, colonne 8\u00a0: TOML invalide\u00a0: «\u00a0]]\u00a0» est "
            "attendu à la fin de la déclaration de la liste de tables",
        ),
        (
            b"[[rules]]\nid = 'x'\nkind = 'prices'\n[a.b]\n[a.b]\n",
            None,
            "rules.toml line 5, column 5: not valid TOML: Cannot declare a.b twice",
            "rules.toml, ligne 5, colonne 5\u00a0: TOML invalide\u00a0: «\u00a0a.b\u00a0» est "
            "déclaré deux fois",
        ),
        (  # the CSV reader's own message
            b"[[rules]]\nid = 'q'\nkind = 'prices'\n",
            b"sku,name,aliases,price,currency,promo_price,promo_start,promo_end\n"
            b"A1,Ca\rsque,,1,EUR,,,\n",
            "catalog.csv line 2: not CSV: new-line character seen in unquoted field",
            "catalog.csv, ligne 2\u00a0: ce n\u2019est pas du CSV lisible\u00a0: retour à la "
            "ligne dans une valeur sans guillemets",
        ),
    ],
)
def test_an_error_reads_french_for_a_french_reader_and_stays_english_for_the_record(
    rt, rules: bytes, catalog: bytes | None, english: str, french: str
) -> None:
    error = _error(rules, catalog)
    assert str(error).startswith(english)
    app = create_app({"TESTING": True}, settings=rt.settings)
    with app.test_request_context(headers={"Cookie": "postgate_lang=fr"}):
        shown = config_error_text(error)
    assert shown.startswith(french), shown
    with app.test_request_context(headers={"Cookie": "postgate_lang=en"}):
        assert config_error_text(error).replace(", line", " line", 1) == str(error)


@pytest.fixture
def strict(rt, totp_clock):
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    return WebActions(app.test_client()), Actors(rt, None, totp_clock)


def test_a_french_admin_saving_a_bad_rules_file_reads_where_and_why_in_french(rt, strict):
    web, actors = strict
    ada = actors.create("ada", "admin")
    web.login(ada, lang="fr")
    rules = rt.settings.rules_path.read_text()
    token = web.csrf("/admin/rules")
    broken = web.client.post(
        "/admin/rules/text",
        data={
            "text-csrf_token": token,
            "text-rules": rules + "\n[[rules]]\nid = 'z'\nkind = 'nope'\n",
            "text-otp": ada.code(),
        },
    )
    page = broken.get_data(as_text=True)
    assert broken.status_code == 422
    assert "non enregistré\u00a0: rules.toml, ligne" in page, page
    assert (
        "règle «\u00a0z\u00a0», clé «\u00a0kind\u00a0»\u00a0: type «\u00a0nope\u00a0» inconnu"
        in page
    )
    assert "unknown kind" not in page and "key &#39;kind&#39;" not in page

    csv = "sku,name,aliases,price,currency,promo_price,promo_start,promo_end\nA,B,,1,EURO,,,\n"
    refused = send(web, "/admin/rules/catalog", "catalog", csv=csv, otp=ada.code())
    shown = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "catalog.csv, ligne 2, colonne «\u00a0currency\u00a0»" in shown, shown
    assert "n\u2019est pas un code de devise" in shown


def test_a_french_admin_trying_a_bad_toml_or_csv_reads_the_parser_in_french(rt, strict):
    """The parsers' own messages (tomllib, csv) on the page in French, with their line and
    column, from "Try it" as from "Save"."""
    web, actors = strict
    ada = actors.create("ada", "admin")
    web.login(ada, lang="fr")
    rules = rt.settings.rules_path.read_text()
    tried = web.client.post(
        "/admin/rules/text",
        data={
            "text-csrf_token": web.csrf("/admin/rules"),
            "text-rules": rules + "\n[[rules]\n",
            "try": "1",
        },
    )
    page = tried.get_data(as_text=True)
    line = rules.count("\n") + 2
    assert tried.status_code == 422
    assert (
        f"rules.toml, ligne {line}, colonne 8\u00a0: TOML invalide\u00a0: «\u00a0]]\u00a0»" in page
    )
    assert "Expected" not in page and "array declaration" not in page
    csv = "sku,name,aliases,price,currency,promo_price,promo_start,promo_end\nA,B\rC,,1,EUR,,,\n"
    for extra in ({"try": "1"}, {"catalog-otp": ada.code()}):
        data = {"catalog-csrf_token": web.csrf("/admin/rules"), "catalog-csv": csv} | extra
        refused = web.client.post("/admin/rules/catalog", data=data)
        shown = refused.get_data(as_text=True)
        assert refused.status_code == 422
        assert "catalog.csv, ligne 2\u00a0: ce n\u2019est pas du CSV lisible\u00a0: retour" in shown
        assert "new-line character" not in shown
