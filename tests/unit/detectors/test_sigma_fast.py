"""The fast Sigma evaluation gives the reference's answers on hostile and edge inputs (no shared data needed):
value lists, expansions, list-valued fields, case folding, emoji, numbers, CIDRs, regex-only rules, keywords."""
from __future__ import annotations

import random
import re

import pytest

from detectors.sigma import literals
from detectors.sigma.compiler import compile_fast, group, normalise
from detectors.sigma.engine import CompiledRule, SigmaEngine, from_ir
from detectors.sigma.ir import MULTI, SINGLE
from detectors.sigma.literals import LiteralSet
from detectors.sigma.matchers import compile_condition
from detectors.sigma.prefilter import regex_literals


def s(*parts, cased=False):
    return ("str", tuple(parts), cased)


def f(field, value):
    return ("field", field, value)


TREES = [
    ("or", [f("Image", s(MULTI, "\\calc.exe")), f("Image", s(MULTI, "\\cmd.exe")), f("Image", s("C:\\x.exe")),
            f("Image", s("C:\\Tools", MULTI)), f("Image", s(MULTI, "rund", SINGLE, "l", MULTI))]),
    ("and", [("or", [f("CommandLine", s(MULTI, w, MULTI)) for w in ("-enc", " -nop", "iex", "bypass", "hidden",
                                                                   "downloadstring")]),
             ("not", ("or", [f("CommandLine", s(MULTI, "\\trusted\\", MULTI)), f("User", s("SYSTEM"))]))]),
    ("or", [f("CommandLine", s(MULTI, e, MULTI)) for e in ("😀", "🔥", "ｐ", "аdmin")]),  # emoji, full-width, Cyrillic
    ("or", [f("CommandLine", s(MULTI, e, MULTI)) for e in ("😀", "🔥", "ｐ")]),  # single characters: one set
    ("or", [f("EventID", ("num", n)) for n in (1, 4624, 4688, 10.0)]),
    ("or", [f("SourceIp", ("cidr", "10.0.0.0/8")), f("SourceIp", ("cidr", "fd00::/8"))]),
    WINDASH := f("CommandLine", ("exp", [s(MULTI, p + "decode", MULTI) for p in ("-", "/", "–")])),
    ("and", [f("CommandLine", s(MULTI, "a", MULTI)), f("CommandLine", s(MULTI, "b", MULTI))]),  # |all
    ("or", [f("Image", s(MULTI, "X", MULTI, cased=True)), f("Image", ("re", r"(?i)\\p[s]exec\.exe$", 0)),
            f("Image", ("null",)), f("Hashes", ("exists", True))]),
    ("or", [f("CommandLine", s()), f("CommandLine", s(MULTI, "", MULTI))]),  # empty value, empty substring
    ("kw", s("mimikatz")),
]
WORDS = ["C:\\Windows\\calc.exe", "c:\\tools\\a.EXE", "powershell -ENC aQBlAHgA", "iex(x)", " -nop -w hidden",
         "😀 emoji", "ｐｏｗｅｒ", "аdmin", "SYSTEM", "10.1.2.3", "fd00::1", "192.168.0.1", "/decode", "–decode", "ab",
         "", "KELVIN \u212a", "ſystem", "İstanbul", "\\PsExec.exe", "X", "x", None, 4624, 10, True, 3.5, "MIMIKATZ"]


def _events(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        ev: dict = {}
        for field in ("Image", "CommandLine", "User", "EventID", "SourceIp", "Hashes"):
            r = rng.random()
            if r < 0.15:
                continue
            if r < 0.3:
                ev[field] = [rng.choice(WORDS) for _ in range(rng.randint(0, 3))]
            else:
                ev[field] = rng.choice(WORDS)
        if rng.random() < 0.3:
            ev["process.executable"] = rng.choice(WORDS)  # the ECS name standing in for a missing Image
        out.append(ev)
    return out


@pytest.mark.parametrize("tree", TREES, ids=range(len(TREES)))
def test_compiled_tree_equals_reference(tree):
    fast, ref = compile_fast(tree), compile_condition(tree)
    for ev in _events(400, seed=hash(repr(tree)) & 0xFFFF):
        assert fast(dict(ev)) == ref(dict(ev)), ev


def test_value_lists_become_one_test_per_field():
    tree = normalise(TREES[0])
    assert group(tree)[0] == "any" and len(group(tree)[3]) == 5
    assert normalise(WINDASH)[0] == "or" and len(normalise(WINDASH)[1]) == 3


def test_engine_with_prefilter_equals_reference_engine():
    rules = [from_ir({"id": f"r{i}", "title": f"r{i}", "level": "high", "tags": [], "product": None, "category": None,
                      "service": None, "path": "", "attack": [], "name": None, "ir": [t], "date": None, "entity": None})
             for i, t in enumerate(TREES)]
    fast = SigmaEngine(rules)
    ref = fast.reference()
    for ev in _events(1500, seed=7):
        assert {r.id for r in fast.match_event(dict(ev))} == {r.id for r in ref.match_event(dict(ev))}, ev


@pytest.mark.parametrize("use_hyperscan", [True, False])
def test_literal_set_finds_what_in_finds(monkeypatch, use_hyperscan):
    if use_hyperscan and literals.hyperscan is None:
        pytest.skip("hyperscan is not installed")
    lits = ["mimikatz", "sekurlsa::", "\\mimilib.dll", "😀", "аdmin", "-enc", "x"]
    ls = LiteralSet()
    for k, lit in enumerate(lits):
        ls.add(lit, k)
    ls.finish()
    ls.long = use_hyperscan
    rng = random.Random(3)
    pieces = ["MIMIKATZ ", "sekurlsa::logon", "c:\\mimilib.dll", "😀", "аdmin", " -enc ", "abc", "é"]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 120))).lower()
        seen: set[int] = set()
        ls.scan(text, seen)
        assert seen == {k for k, lit in enumerate(lits) if lit in text}, text[:80]
        if text.isascii():
            raw: set[int] = set()
            ls.scan_ascii(text.upper().encode(), raw)
            assert raw == seen


@pytest.mark.parametrize("pattern,flags,texts", [
    (r"\$PSHome\[\s*\d{1,3}\s*\]", 0, ["$PSHome[ 4]", "x$PSHome[12]y"]),
    (r"ipconfig\s+/all|arp\s+-a", 0, ["ipconfig  /all", "arp -a"]),
    (r"(?i)echo.*clip.*&&", 0, ["ECHO x | CLIP && y"]),
    (r"(?i)set.*&&", 0, ["ſet x && y", "SET x&&"]),  # ſ matches s under IGNORECASE: s is no anchor then
    (r"cmd.{0,5}(?:/c|/r).+powershell", 0, ["cmd.exe /c powershell"]),
])
def test_regex_literals_are_in_every_match(pattern, flags, texts):
    lits = regex_literals(pattern, flags)
    assert lits, "a literal is expected for this pattern"
    rx = re.compile(pattern, flags)
    for t in texts:
        assert rx.search(t), t
        assert any(lit in t.lower() for lit in lits), (t, lits)
    assert all("s" not in lit for lit in lits) or not (flags | re.compile(pattern).flags) & re.I


def test_keyword_rule_found_through_event_json_escapes():
    rule = from_ir({"id": "kw", "title": "kw", "level": "high", "tags": [], "product": "windows", "category": None,
                    "service": None, "path": "", "attack": [], "name": None, "date": None, "entity": None,
                    "ir": [("or", [("kw", s("\\mimilib.dll")), ("kw", s('say "hi"')), ("kw", s("ｍｉｍｉ"))])]})
    eng = SigmaEngine([rule])
    route = eng.route({"product": "windows"})
    assert route.keywords_json is not None  # no digit or sign: the JSON text is searched
    for value in ("C:\\Temp\\MIMILIB.DLL", 'they say "HI"', "ｍｉｍｉ"):
        assert eng.match_event({"_logsource": {"product": "windows"}, "CommandLine": value, "_raw": "x"})
    assert not eng.match_event({"_logsource": {"product": "windows"}, "CommandLine": "mimilib", "_raw": "\\mimilib.dll"})


def test_rules_compile_on_first_use_and_report_bad_ones_at_load():
    meta = {"id": "r", "title": "r", "level": "high", "tags": [], "product": None, "category": None, "service": None,
            "path": "", "attack": [], "name": None, "date": None, "entity": None}
    rule = from_ir({**meta, "ir": [f("Image", s(MULTI, "\\x.exe"))]})
    assert isinstance(rule, CompiledRule) and rule.matchers is None
    assert rule.matches({"Image": "C:\\X.EXE"}) and rule.matchers is not None
    with pytest.raises(re.error):
        from_ir({**meta, "ir": [f("Image", ("re", "(unclosed", 0))]})


def test_merging_as_matches_come_equals_building_every_alert():
    from detectors.alerts import merge_into
    from detectors.sigma.engine import to_alert

    rule = from_ir({"id": "m", "title": "m", "level": "high", "tags": [], "product": None, "category": None,
                    "service": None, "path": "", "attack": [], "name": None, "date": None, "entity": ["host.name"],
                    "ir": [f("CommandLine", s(MULTI, "-enc", MULTI))]})  # users and sources: the alert's values
    eng = SigmaEngine([rule])
    rng = random.Random(11)
    events = [{"CommandLine": "powershell -enc x", "host.name": f"h{rng.randint(0, 2)}",
               "user.name": rng.choice(["alice", "bob", None, "", f"u{i}"]), "source.ip": rng.choice(["10.0.0.1", None]),
               "_ts": 1.8e9 + rng.randint(0, 7200), "n": i} for i in range(400)]
    fast: dict = {}
    slow: dict = {}
    for ev in events:
        eng.match_into(dict(ev), fast, origin="cli")
        for r in eng.match_event(dict(ev)):
            a = to_alert(r, ev)
            a.origin = "cli"
            merge_into(slow, a)
    assert {k: a.to_dict() for k, a in fast.items()} == {k: a.to_dict() for k, a in slow.items()}
    assert max(a.count for a in fast.values()) > 5  # repeats beyond the five samples were merged
    assert max(len(a.explanation["values"]["user.name"]) for a in fast.values()) > 5


def _one_rule_engine(tree, category=None, product=None):
    return SigmaEngine([from_ir({"id": "r", "title": "r", "level": "high", "tags": [], "product": product,
                                 "category": category, "service": None, "path": "", "attack": [], "name": None,
                                 "ir": [tree], "date": None, "entity": None})])


# Found by review: each once made the prefilter skip (or the engine miss) a rule the reference matches.
EDGE_CASES = [
    ("cased literal with Σ", f("CommandLine", s(MULTI, "ΑΣ", MULTI, cased=True)), {"CommandLine": "ΑΣΑ"}, None),
    ("keyword Σ after an escaped newline", ("kw", s("Σ")), {"CommandLine": "x\nΣ"}, "windows"),
    ("number written with an exponent", f("EventID", ("num", 10)), {"EventID": "1e1"}, None),
    ("number with spaces and a fraction", f("EventID", ("num", 10)), {"EventID": [" 10.0 ", None]}, None),
    ("keyword number", ("kw", ("num", 4624)), {"a": "4.624e3"}, None),
    ("keyword wildcard and long s", ("kw", s("us", MULTI, "x")), {"a": "uſ x"}, None),
    ("cased keyword against a bool", ("kw", s("true", cased=True)), {"flag": True}, "webserver"),
    ("keyword regex against a bool", ("kw", ("re", "tru", 0)), {"flag": True}, "proxy"),
    ("keyword spanning the separator", ("kw", s("a\x1fb")), {"x": "a", "y": "b"}, "windows"),
    ("empty and", ("and", []), {"a": 1}, None),
    ("empty field name", ("kw", s("mimikatz")), {"": "x", "a": "MIMIKATZ"}, "webserver"),
    ("lone surrogate in a keyword", ("kw", s("mi\ud800")), {"a": "mi\ud800"}, "windows"),
    # non-ASCII keyword text is searched on its bytes, except where a character lowercases to ASCII
    ("keyword through the Kelvin sign", ("kw", s("sekurlsa::")), {"a": "Microsoft® se\u212aurlsa::"}, "windows"),
    ("keyword through a dotted capital I", ("kw", s("lsadump::i")), {"a": "LSADUMP::\u0130X ®"}, "windows"),
    ("long keyword text through the Kelvin sign", ("kw", s("sekurlsa::")), {"a": "® " * 200, "b": "se\u212aurlsa::"},
     "windows"),  # past literals.LONG: Hyperscan's path
    ("keyword in non-ASCII text", ("kw", s("sekurlsa::")), {"a": "Microsoft® Windows®", "b": "SEKURLSA::x"}, "windows"),
    # the prefilter visits the event's own keys: the ECS name stands in for a missing Sigma name, not a present one
    ("ECS stand-in of a missing field", f("Image", s(MULTI, "\\calc.exe")), {"process.executable": "C:\\CALC.EXE"},
     None),
    ("Sigma name beside its ECS name", f("Image", s(MULTI, "\\calc.exe")),
     {"Image": "C:\\calc.exe", "process.executable": "C:\\other.exe"}, None),
]


@pytest.mark.parametrize("tree,event,where", [c[1:] for c in EDGE_CASES], ids=[c[0] for c in EDGE_CASES])
def test_edge_cases_match_like_the_reference(tree, event, where):
    category = where if where in ("webserver", "proxy") else None
    eng = _one_rule_engine(tree, category=category, product="windows" if where == "windows" else None)
    ev = {**event, "_logsource": {"category": category} if category else {"product": "windows"} if where else {}}
    want = [r.id for r in eng.reference().match_event(dict(ev))]
    assert want == ["r"]  # each case is a match, by the reference's rules
    assert [r.id for r in eng.match_event(dict(ev))] == want


def test_a_keyword_type_the_engine_cannot_evaluate_is_refused_at_load():
    from detectors.sigma.ir import Unsupported

    with pytest.raises(Unsupported):
        from_ir({"id": "r", "title": "r", "level": "high", "tags": [], "product": None, "category": None,
                 "service": None, "path": "", "attack": [], "name": None, "date": None, "entity": None,
                 "ir": [("kw", ("null",))]})


def test_long_repeated_values_and_stand_ins_match_like_the_reference():
    """Long values (call traces, command lines) are remembered per field; ECS names stand in for missing Sigma
    names only. Event by event, the fast engine must give the reference's rules, repeats and changes alike."""
    trees = [("and", [f("CallTrace", s(MULTI, "unknown(", MULTI)), f("TargetImage", s(MULTI, "\\lsass.exe"))]),
             f("Image", s(MULTI, "\\rundll32.exe")), f("CommandLine", s(MULTI, "comsvcs", MULTI))]
    rules = [from_ir({"id": f"r{i}", "title": "r", "level": "high", "tags": [], "product": "windows", "category": None,
                      "service": None, "path": "", "attack": [], "name": None, "date": None, "entity": None,
                      "ir": [t]}) for i, t in enumerate(trees)]
    fast = SigmaEngine(rules)
    ref = fast.reference()
    rng = random.Random(5)
    traces = ["C:\\Windows\\SYSTEM32\\ntdll.dll+9f934|" * rng.randint(5, 60) + rng.choice(["", "UNKNOWN(00007FF)"])
              for _ in range(12)]
    for i in range(600):
        ev = {"_logsource": {"product": "windows"}, "CallTrace": rng.choice(traces),
              "TargetImage": rng.choice(["C:\\Windows\\System32\\LSASS.EXE", "C:\\x.exe"])}
        image = rng.choice(["C:\\Windows\\System32\\rundll32.exe", "C:\\a.exe", None])
        ev["Image" if rng.random() < 0.5 else "process.executable"] = image
        if rng.random() < 0.3:
            ev["process.executable"] = "C:\\Windows\\rundll32.exe"
        ev["CommandLine"] = "rundll32 C:\\windows\\System32\\COMSVCS.dll, MiniDump " * rng.randint(1, 40)
        want = {r.id for r in ref.match_event(dict(ev))}
        got = fast.match_event(ev)
        assert {r.id for r in got} == want, i
        assert "_lc" not in ev and "_hay" not in ev  # the per-event caches go with the match


def test_route_signatures_tell_numbers_bools_and_absent_keys_apart():
    """The prefilter remembers a route's values taken together: 1, 1.0 and True are equal as dict keys but
    lower to different text, and an absent Sigma name lets its ECS name stand in where a null does not."""
    trees = [f("EventID", s("1")), f("EventID", s("true")), f("Image", s(MULTI, "\\x.exe"))]
    rules = [from_ir({"id": f"r{i}", "title": "r", "level": "high", "tags": [], "product": "windows", "category": None,
                      "service": None, "path": "", "attack": [], "name": None, "date": None, "entity": None,
                      "ir": [t]}) for i, t in enumerate(trees)]
    fast = SigmaEngine(rules)
    ref = fast.reference()
    events = [{"EventID": v} for v in (1, True, 1.0, "1", 0, False)]
    events += [{"Image": None, "process.executable": "C:\\x.exe"}, {"process.executable": "C:\\x.exe"}]
    for _ in range(3):  # the second and third time through, the answers come from the memory
        for ev in events:
            ev = {**ev, "_logsource": {"product": "windows"}}
            assert {r.id for r in fast.match_event(dict(ev))} == {r.id for r in ref.match_event(dict(ev))}, ev


def test_route_signatures_keep_a_bounded_amount_of_long_text(monkeypatch):
    from detectors.sigma import prefilter

    monkeypatch.setattr(prefilter, "SIG_CHARS", 20_000)
    eng = _one_rule_engine(f("ScriptBlockText", s(MULTI, "invoke-mimikatz", MULTI)), product="windows")
    ref = eng.reference()
    for i in range(200):  # script blocks past the field memos' 2 KB, each remembered with its route signature
        block = i if i % 10 == 0 else i % 3  # three blocks over and over, and now and then a new one
        ev = {"_logsource": {"product": "windows"}, "ScriptBlockText": f"{block} " + "Write-Host x; " * 400
              + ("Invoke-Mimikatz" if block % 2 == 0 else "")}
        assert [r.id for r in eng.match_event(dict(ev))] == [r.id for r in ref.match_event(dict(ev))]
        route = eng.route(ev["_logsource"])
        assert route.sig_chars <= 20_000 + 6_000
    assert route.sig_hits > 0  # repeats were answered from the memory, which started again when full
