DUPES = """
[[rules]]
id = "duplicates"
kind = "duplicates"
"""
RECENT = (
    "Notre boutique de Lyon ouvre ses portes samedi à 10h : venez découvrir "
    "la nouvelle collection et profitez d'un café offert pour tout achat !",
)


def test_near_duplicate_flags(rules):
    text = (
        "NOTRE boutique de Lyon ouvre ses portes samedi à 10h, venez decouvrir "
        "la nouvelle collection et profitez d'un café offert pour tout achat ☕"
    )
    result = rules.check(DUPES, text, recent_posts=RECENT)
    assert [(f.rule, f.severity) for f in result.findings] == [("duplicates", "flag")]
    assert "similar" in result.findings[0].message


def test_different_post_passes(rules):
    text = "Our London store opens on Saturday at 10am: come and see the new collection!"
    assert rules.check(DUPES, text, recent_posts=RECENT).findings == ()


def test_threshold_is_configurable(rules):
    text = "Notre boutique de Lyon ouvre ses portes samedi à 10h : venez nombreux !"
    assert rules.check(DUPES, text, recent_posts=RECENT).findings == ()
    assert rules.check(DUPES + "threshold = 0.4\n", text, recent_posts=RECENT).findings != ()


def test_similarity_ignores_case_accents_and_punctuation_but_not_words():
    from rules.duplicates import similarity

    assert similarity("Été chaud, ÉTÉ SHOW !", "ete chaud ete show") == 1.0
    assert similarity("one two three four", "one two three five") == 0.5
    assert similarity("", "anything") == 0.0
