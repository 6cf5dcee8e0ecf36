"""A regex value is only run on values holding the literal every match needs (same answers, far less work)."""
import re

import pytest

from detectors.sigma.matchers import required_literal, value_test


@pytest.mark.parametrize("pattern,flags,need", [
    (r"\w+`(?:\w+|-|.)`[\w+|\s]", 0, "`"), (r"(?i)echo.*clip.*&&.*x", 0, "&&"), (r"\$PSHome\[\s*\d", 0, "$PSHome["),
    ("abc|def", 0, None), ("(?i)abc", 0, None), ("a?bc", 0, "bc"), ("(ab)+c", 0, "c"), ("[", 0, None)])
def test_the_required_literal_of_a_pattern(pattern, flags, need):
    assert required_literal(pattern, flags) == need


@pytest.mark.parametrize("pattern,flags", [(r"\w+`(?:\w+|-|.)`[\w+|\s]", 0), (r"(?i)set.*&&\s?set", 0),
                                           (r"cmd.{0,5}(?:/c|/r)", re.I), (r"a?bc", 0)])
def test_the_shortcut_answers_as_the_regex_does(pattern, flags):
    test, rx = value_test(("re", pattern, flags)), re.compile(pattern, flags)
    samples = ["", "abc", "bc", "x`y`z", "w`-`q", "SET a && set b", "CMD /C x", "cmd.exe /r", "no", "a`b", "b c"]
    assert [test(s) for s in samples] == [rx.search(s) is not None for s in samples]
