"""Property tests: validation agrees with an independent statement of the rule for arbitrary input."""

from __future__ import annotations

import json
import string

from hypothesis import given
from hypothesis import strategies as st

from components.settings import SettingsError, settings_from_config
from components.settings.countries import ISO_COUNTRY_CODES

from .helpers import DEV

_CODES = sorted(ISO_COUNTRY_CODES)


def _accepted(config: dict[str, str]) -> bool:
    try:
        settings_from_config({**DEV, **config}, stack="dev")
    except SettingsError:
        return False
    return True


@given(st.lists(st.one_of(st.sampled_from(_CODES), st.text(string.ascii_letters, max_size=3)), max_size=8))
def test_geo_allowlist(codes: list[str]) -> None:
    expected = all(code in ISO_COUNTRY_CODES for code in codes) and len(set(codes)) == len(codes)
    assert _accepted({"chatbot:geoAllowlist": json.dumps(codes)}) == expected


@given(st.text(string.ascii_letters + string.digits + "-_ .", max_size=24))
def test_prefix(prefix: str) -> None:
    expected = (
        2 <= len(prefix) <= 20
        and prefix[0] in string.ascii_lowercase
        and all(char in string.ascii_lowercase + string.digits + "-" for char in prefix)
    )
    assert _accepted({"chatbot:prefix": prefix}) == expected


@given(st.integers(min_value=-100, max_value=3_000_000_000))
def test_rate_limit(limit: int) -> None:
    assert _accepted({"chatbot:rateLimitPerIp": str(limit)}) == (10 <= limit <= 2_000_000_000)


def test_country_list_is_iso_3166_1() -> None:
    assert len(ISO_COUNTRY_CODES) == 249
    assert {"GB", "IE", "DE", "FR", "NL", "US", "SS", "XK"} - ISO_COUNTRY_CODES == {"XK"}
    assert "UK" not in ISO_COUNTRY_CODES
