"""components/packaging.py: the archive is rebuilt exactly when its inputs change."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from components import packaging


@pytest.fixture
def fake_build(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []

    def build(out: Path) -> str:
        calls.append(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"zip")
        return "digest"

    monkeypatch.setattr(packaging.package_lambda, "build", build)
    return calls


def test_builds_once_then_reuses_while_inputs_are_unchanged(tmp_path: Path, fake_build: list[Path]) -> None:
    out = tmp_path / "app.zip"
    archive = packaging.app_archive(out)
    assert isinstance(archive, pulumi.FileArchive) and archive.path == str(out)
    packaging.app_archive(out)
    assert fake_build == [out]


def test_a_changed_input_rebuilds(
    tmp_path: Path, fake_build: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "app.zip"
    packaging.app_archive(out)
    monkeypatch.setattr(packaging, "inputs_digest", lambda: "something else")
    packaging.app_archive(out)
    assert len(fake_build) == 2


def test_digest_covers_source_and_requirements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packaging.package_lambda, "ROOT", tmp_path)
    source = tmp_path / "pkg"
    source.mkdir()
    (source / "a.py").write_text("x = 1\n")
    requirements = tmp_path / "req.txt"
    requirements.write_text("pydantic==2\n")
    before = packaging.inputs_digest(source, requirements)
    (source / "a.py").write_text("x = 2\n")
    after_source = packaging.inputs_digest(source, requirements)
    requirements.write_text("pydantic==3\n")
    assert len({before, after_source, packaging.inputs_digest(source, requirements)}) == 3


def test_a_failed_build_is_a_clean_run_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(out: Path) -> str:
        raise packaging.package_lambda.PackagingError("pip could not install Lambda arm64 wheels")

    monkeypatch.setattr(packaging.package_lambda, "build", fail)
    with pytest.raises(pulumi.RunError, match="pip could not install"):
        packaging.app_archive(tmp_path / "app.zip")


def test_concurrent_programs_build_the_archive_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    calls: list[Path] = []

    def slow_build(out: Path) -> str:
        calls.append(out)
        time.sleep(0.2)  # long enough for the other threads to arrive while this one builds
        out.write_bytes(b"zip")
        return "digest"

    monkeypatch.setattr(packaging.package_lambda, "build", slow_build)
    out = tmp_path / "app.zip"
    threads = [threading.Thread(target=packaging.app_archive, args=(out,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [out]
