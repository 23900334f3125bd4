"""policies/README.md's rule tables are generated from the metadata and kept fresh."""

from __future__ import annotations

from tools import policy_doc


def test_policy_readme_is_fresh(capsys) -> None:
    # Fails when a rule's metadata changed without `make docs`.
    assert policy_doc.main(["--check"]) == 0, capsys.readouterr().out


def test_every_rule_is_documented_with_its_ids_and_tokens() -> None:
    from chatbot_guard import ALL_RULES

    text = policy_doc.render()
    for name, meta in ALL_RULES.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| [`{name}`]"))
        assert all(catalogue_id in row for catalogue_id in meta.catalogue_ids)
        assert all(f"`{token}`" in row for token in meta.resource_types)
