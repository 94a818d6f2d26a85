from rules.normalize import fold, normalize

from .conftest import spans

TERMS = """
[[rules]]
id = "banned-terms"
kind = "banned_terms"
terms = ["arnaque", "scam", "ass", "get rich quick", "escroqu*"]
"""


def test_fold_removes_disguises():
    assert fold("\uff33\uff43\uff41\uff4d") == "scam"
    assert fold("s\u200bc\u200ca\u200dm") == "scam"
    assert fold("Arnaqu\u0435") == fold("arnaque")  # Cyrillic e
    assert fold("4rn4qu3") == fold("arnaque")
    assert fold("$c@m") == "scam"
    assert fold("ÉTÉ") == "ete"


def test_span_maps_back_to_original_text_with_accents():
    text = "Un e\u0301te\u0301 chaud"  # decomposed accents
    norm = normalize(text)
    start = norm.text.index("ete")
    assert text[slice(*norm.span(start, start + 3))] == "e\u0301te\u0301"


def test_french_post_with_disguised_term_blocks(rules):
    text = "Cette offre n'est pas une 4rn\u0430qu3, promis !"  # l33t and a Cyrillic a
    result = rules.check(TERMS, text)
    assert result.blocked
    assert spans(result, text) == ["4rn\u0430qu3"]
    assert result.findings[0].rule == "banned-terms"
    assert "arnaque" in result.findings[0].message


def test_english_post_with_spaced_out_term(rules):
    text = "Want to GET   RICH QUICK? Read on."
    result = rules.check(TERMS, text)
    assert spans(result, text) == ["GET   RICH QUICK"]


def test_word_boundaries_spare_longer_words(rules):
    text = "Our class of assistants will pass the scammers' assessment."
    result = rules.check(TERMS, text)
    assert result.findings == ()


def test_star_allows_longer_words_and_reports_whole_word(rules):
    text = "Méfiez-vous des escroqueries en ligne."
    result = rules.check(TERMS, text)
    assert spans(result, text) == ["escroqueries"]


def test_clean_french_post_passes(rules):
    text = "Découvrez notre nouvelle collection d'automne, disponible dès demain en boutique."
    assert rules.check(TERMS, text).findings == ()


def test_substring_mode_when_whole_words_is_off(rules):
    toml = TERMS + "whole_words = false\n"
    text = "A class act."
    assert spans(rules.check(toml, text), text) == ["class"]


def test_terms_file_relative_to_rules_file(rules, tmp_path):
    (tmp_path / "terms.txt").write_text("# comment\n\nbullshit\nfoutaise\n", encoding="utf-8")
    toml = """
    [[rules]]
    id = "t"
    kind = "banned_terms"
    terms_file = "terms.txt"
    """
    text = "C'est de la FOUTAISE."
    assert spans(rules.check(toml, text), text) == ["FOUTAISE"]
    assert rules.check(toml, "Comment ça va ?").findings == ()


def test_every_occurrence_is_reported_in_order(rules):
    text = "scam, SCAM and \u0455\u0441\u0430m"
    assert spans(rules.check(TERMS, text), text) == ["scam", "SCAM", "\u0455\u0441\u0430m"]


def test_offsets_line_up_with_folded_text():
    text = "  \uff2c'été\u00a8 à  Paris\u200b, ß  ﬁn 4rn\u0430qu3\t\n!"
    norm = normalize(text)
    assert len(norm.origins) == len(norm.text)
    for index, char in enumerate(norm.text):
        assert char in normalize(text[norm.origins[index]]).text or char == " "
