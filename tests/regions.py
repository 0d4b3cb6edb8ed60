"""The built-in region policies, by name, for tests of the pure rules."""

from gongji.policy import load_policies
from gongji.policy.book import BUILT_IN

BOOK = load_policies(BUILT_IN)
HEILONGJIANG = BOOK.for_region("230100")
HENAN = BOOK.for_region("410100")
SHENZHEN = BOOK.for_region("440300")
HANGZHOU = BOOK.for_region("330100")
ULANQAB = BOOK.for_region("150900")
NATIONAL = BOOK.for_region("110100")
