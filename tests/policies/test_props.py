"""props.py against plain values and against the SDK's own proxies (the oracle for unknown-ness)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from chatbot_guard.props import (
    UNKNOWN_SENTINELS,
    Known,
    Missing,
    Unknown,
    check_all,
    is_present,
    known,
    lookup,
    parse_path,
    plain,
    require_known,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import (
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)
from pulumi_policy.secret import Secret

U = UNKNOWN_STRING_VALUE


def analyze_view(raw: dict[str, Any]) -> Any:
    """What a rule gets in Analyze/AnalyzeStack."""
    return unknown_checking_proxy(deserialize_properties(raw))


def remediate_view(raw: dict[str, Any]) -> Any:
    """What a rule gets in Remediate: secrets proxies, raw sentinels, no unknown checking."""
    return unknown_checking_proxy(deserialize_properties(raw, True))


SAMPLE = {
    "a": {"b": [{"c": 1.0}, U], "flag": False, "empty": "", "none": None},
    "arn": U,
    "obj": U,
    "tags": {"x.y": "dotted", "Name": "n"},
    "secretName": {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": "s3cr3t"},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a", ("a",)),
        ("a.b[0].c", ("a", "b", 0, "c")),
        ('tags["x.y"]', ("tags", "x.y")),
        ('tags["q\\"uote"]', ("tags", 'q"uote')),
        ("list[12]", ("list", 12)),
        ("aws:key.v", ("aws:key", "v")),
    ],
)
def test_parse_path(path: str, expected: tuple[Any, ...]) -> None:
    assert parse_path(path) == expected


@pytest.mark.parametrize("path", ["", ".a", "a..b", "a[x]", "a[", "a]"])
def test_parse_path_rejects_malformed(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        parse_path(path)


@pytest.mark.parametrize("view", [lambda raw: raw, analyze_view, remediate_view])
def test_lookup_on_every_view(view: Any) -> None:
    props = view(SAMPLE)
    assert lookup(props, "a.b[0].c") == Known(1.0)
    assert lookup(props, "a.flag") == Known(False)
    assert lookup(props, "a.empty") == Known("")
    assert lookup(props, "a.none") == Missing()
    assert lookup(props, "a.b[1]") == Unknown(("a", "b", 1), U)
    assert lookup(props, "a.b[1].deep") == Unknown(("a", "b", 1), U)
    assert lookup(props, "obj.child") == Unknown(("obj",), U)
    assert lookup(props, "a.b[2]") == Missing()
    assert lookup(props, "a.flag.below") == Missing()
    assert lookup(props, "a.b.c") == Missing()
    assert lookup(props, "nope") == Missing()
    assert lookup(props, 'tags["x.y"]') == Known("dotted")
    assert lookup(props, ("tags", "x.y")) == Known("dotted")
    assert is_present(props, "arn") and is_present(props, "a.flag")
    assert not is_present(props, "a.none") and not is_present(props, "missing")
    assert known(props, "arn", "default") == "default"
    assert known(props, "a.b[0].c") == 1.0


def test_secret_values_read_as_plain_values() -> None:
    assert lookup(SAMPLE, "secretName") == Known({SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": "s3cr3t"})
    assert lookup(analyze_view(SAMPLE), "secretName") == Known("s3cr3t")
    assert lookup(remediate_view(SAMPLE), "secretName") == Known("s3cr3t")
    assert lookup({"s": Secret({"inner": 2})}, "s.inner") == Known(2)


def test_known_containers_keep_the_sdk_protection() -> None:
    container = lookup(analyze_view(SAMPLE), "a.b").value
    with pytest.raises(UnknownValueError):
        container[1]
    # ... and can be walked further with lookup itself.
    assert lookup(container, "[1]") == Unknown((1,), U)


def test_require_known_raises_the_sdk_error_with_the_path() -> None:
    props = analyze_view({"n": UNKNOWN_NUMBER_VALUE, "k": 3.0})
    assert require_known(props, "k") == 3.0
    assert require_known(props, "missing", "d") == "d"
    with pytest.raises(UnknownValueError) as caught:
        require_known(props, "n")
    assert caught.value.message == "number value at .n can't be known during preview"


def test_check_all_runs_everything_then_reraises_first_unknown() -> None:
    ran: list[str] = []

    def unknown(tag: str) -> Any:
        def check() -> None:
            ran.append(tag)
            require_known({"x": U}, "x")

        return check

    with pytest.raises(UnknownValueError):
        check_all(unknown("one"), lambda: ran.append("two") and None, unknown("three"))
    assert ran == ["one", "two", "three"]
    check_all(lambda: None)


def test_plain_strips_proxies_and_keeps_sentinels() -> None:
    flat = plain(analyze_view(SAMPLE))
    assert flat["a"]["b"] == [{"c": 1.0}, U]
    assert flat["secretName"] == "s3cr3t"
    assert type(flat["a"]) is dict


# --- property-based: lookup agrees with the SDK's own proxy on every path, and never raises ---

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(sorted(UNKNOWN_SENTINELS)),
)
keys = st.text(alphabet="abcxyz.-[]\"", min_size=1, max_size=4)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=3)),
    max_leaves=12,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
            found.append((*prefix, key, "absent-child"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
        found.append((*prefix, len(node)))
    return found


def sdk_read(props: Any, path: tuple[Any, ...]) -> Any:
    """The SDK's semantics: walk with [] and report what happened."""
    node = props
    try:
        for segment in path:
            if isinstance(segment, int):
                if not isinstance(node, Sequence) or isinstance(node, str) or segment >= len(node):
                    return Missing()
            elif not isinstance(node, Mapping) or segment not in node:
                return Missing()
            node = node[segment]
    except UnknownValueError:
        return Unknown(())
    return Missing() if node is None else Known(plain(node))


def normalised(result: Any) -> Any:
    if isinstance(result, Known):
        return Known(plain(result.value))
    return Unknown(()) if isinstance(result, Unknown) else result


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, trees, max_size=4))
def test_lookup_matches_sdk_proxy(raw: dict[str, Any]) -> None:
    props = analyze_view(raw)
    for path in paths(raw):
        ours = normalised(lookup(props, path))
        assert ours == sdk_read(props, path), path
        assert normalised(lookup(raw, path)) == ours, path
        assert normalised(lookup(remediate_view(raw), path)) == ours, path
