"""The explicit map from a config `kind` to the class that implements it.

Adding a rule kind means writing the class and adding one line here; nothing
is discovered by import side effects.
"""

from __future__ import annotations

from .alt_text import AltTextRule
from .base import Rule
from .duplicates import DuplicatesRule
from .freeze import FreezeRule
from .limits import PlatformLimitsRule
from .links import LinksRule
from .patterns import PatternRule
from .personal import PersonalDataRule
from .prices import PricesRule
from .terms import BannedTermsRule
from .windows import PostingWindowRule

RULE_KINDS: dict[str, type[Rule]] = {
    cls.kind: cls
    for cls in (
        BannedTermsRule,
        PatternRule,
        LinksRule,
        PricesRule,
        PersonalDataRule,
        PlatformLimitsRule,
        PostingWindowRule,
        FreezeRule,
        DuplicatesRule,
        AltTextRule,
    )
}
