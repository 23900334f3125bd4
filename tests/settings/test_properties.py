"""Property tests: validation agrees with an independent statement of the rule for arbitrary input."""

from __future__ import annotations

import ipaddress
import json
import string

from hypothesis import given
from hypothesis import strategies as st

from components.settings import SettingsError, StackSettings, setting_specs, settings_from_config
from components.settings.countries import ISO_COUNTRY_CODES
from components.settings.fields import CONTEXTS

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
    # chatRateLimitPerIp at its minimum, so only rateLimitPerIp's own range decides.
    config = {"chatbot:rateLimitPerIp": str(limit), "chatbot:chatRateLimitPerIp": "10"}
    assert _accepted(config) == (10 <= limit <= 2_000_000_000)


def test_country_list_is_iso_3166_1() -> None:
    assert len(ISO_COUNTRY_CODES) == 249
    assert {"GB", "IE", "DE", "FR", "NL", "US", "SS", "XK"} - ISO_COUNTRY_CODES == {"XK"}
    assert "UK" not in ISO_COUNTRY_CODES


def test_derived_properties() -> None:
    settings = settings_from_config(DEV, stack="dev")
    assert settings.creates_vpc and not settings.uses_federation
    assert settings.bedrock_region == "us-east-1" and settings.guardrail_required
    config = {**DEV, "chatbot:bedrockRegion": "us-west-2", "chatbot:guardrailMode": "none"}
    other = settings_from_config(config, stack="dev")
    assert other.bedrock_region == "us-west-2" and not other.guardrail_required
    assert other.region == "us-east-1"


def test_settings_keep_their_documented_order() -> None:
    # The settings that existed before the bounded-context split come first, in their original order.
    assert [spec.key for spec in setting_specs()][:13] == [
        "chatbot:environment", "chatbot:prefix", "chatbot:owner", "chatbot:customerManagedKeys",
        "chatbot:retainData", "chatbot:logRetentionDays", "chatbot:customDomain", "chatbot:certificateArn",
        "chatbot:minimumTlsVersion", "chatbot:rateLimitPerIp", "chatbot:rateLimitWindowSeconds",
        "chatbot:geoAllowlist", "aws:region",
    ]
    fields_in_context_order = [name for context in CONTEXTS for name in context.model_fields]
    assert list(StackSettings.model_fields) == fields_in_context_order


_OCTET = st.integers(min_value=0, max_value=255)


@given(st.lists(st.tuples(_OCTET, _OCTET, st.integers(min_value=0, max_value=32)), min_size=1, max_size=4))
def test_private_website_cidrs(networks: list[tuple[int, int, int]]) -> None:
    cidrs = [f"{a}.{b}.0.0/{length}" for a, b, length in networks]
    config = {
        "chatbot:privateWebsite": "true",
        "chatbot:privateWebsiteCidrs": json.dumps(cidrs),
        "chatbot:privateWebsiteCertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/" + "c" * 36,
    }
    # Valid: no /0, no host bits set (the address is its network's address), no repeats.
    def valid(cidr: str) -> bool:
        network = ipaddress.ip_network(cidr, strict=False)
        return network.prefixlen > 0 and str(network.network_address) == cidr.split("/")[0]

    expected = len(set(cidrs)) == len(cidrs) and all(valid(cidr) for cidr in cidrs)
    assert _accepted(config) == expected
