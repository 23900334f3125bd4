"""Physical resource names: normalised, bounded, deterministic."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.naming import MAX_LENGTH, resource_name

NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def test_short_names_are_joined_verbatim() -> None:
    assert resource_name("chatbot", "dev", "web-acl") == "chatbot-dev-web-acl"


def test_names_are_lower_case_with_single_hyphens() -> None:
    assert resource_name("Chatbot", "Feature_Branch.2", "--Web  ACL--") == "chatbot-feature-branch-2-web-acl"


def test_long_names_are_cut_and_end_with_a_stable_hash() -> None:
    long_stack = "a" * 80
    first = resource_name("chatbot", long_stack, "web-acl")
    assert len(first) == MAX_LENGTH
    assert first == resource_name("chatbot", long_stack, "web-acl")
    assert first != resource_name("chatbot", long_stack, "web-acm")
    assert re.fullmatch(r"chatbot-a+-[0-9a-f]{8}", first)


def test_custom_maximum_length() -> None:
    assert len(resource_name("chatbot", "s" * 300, "logs", max_length=250)) == 250
    with pytest.raises(ValueError, match="max_length"):
        resource_name("chatbot", "dev", "logs", max_length=5)


@pytest.mark.parametrize("parts", [("", "dev", "x"), ("chatbot", "___", "x"), ("chatbot", "dev", "--")])
def test_empty_parts_are_rejected(parts: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError, match="letter or digit"):
        resource_name(*parts)


segment = st.text(alphabet="abcXYZ019-_. ", min_size=1, max_size=90).filter(
    lambda s: any(c.isalnum() for c in s)
)


@given(segment, segment, segment)
def test_every_name_is_valid_and_bounded(prefix: str, stack: str, role: str) -> None:
    name = resource_name(prefix, stack, role)
    assert len(name) <= MAX_LENGTH
    assert NAME.fullmatch(name)
    assert name == resource_name(prefix, stack, role)
