"""The Lambda archive: reproducible (same inputs, same sha256), arm64 wheels, no runtime-provided SDK."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from tools import package_lambda as pl
from tools.bench_app import HANDLERS


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path, str]:
    out = tmp_path_factory.mktemp("builds")
    first, second = out / "one.zip", out / "two.zip"
    return first, pl.build(first), second, pl.build(second)


def test_same_inputs_give_the_same_archive(two_builds: tuple[Path, str, Path, str]) -> None:
    first, digest_one, second, digest_two = two_builds
    assert digest_one == digest_two == pl.sha256(first) == pl.sha256(second)
    assert first.read_bytes() == second.read_bytes()


def test_archive_contents(two_builds: tuple[Path, str, Path, str]) -> None:
    archive = two_builds[0]
    assert archive.stat().st_size <= pl.MAX_ZIP_BYTES
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
    assert names == sorted(names)
    for handler in HANDLERS:
        assert f"chatbot_app/handlers/{handler}.py" in names
    assert "chatbot_app/handlers/ws_message.py" not in names  # the WebSocket API is push-only
    assert {"jwt/__init__.py", "pydantic/__init__.py", "cryptography/__init__.py"} <= set(names)
    for handler in ("rag_service", "doc_processor", "db_migrate"):
        assert f"chatbot_app/handlers/{handler}.py" in names
    assert not [n for n in names if n.startswith("chatbot_app/local/")]  # local mode only
    # Retrieval: the driver with its bundled libpq, the parsers, the migrations and the RDS CA bundle.
    assert {"psycopg/__init__.py", "psycopg_binary/__init__.py", "pypdf/__init__.py", "docx/__init__.py",
            "pptx/__init__.py", "openpyxl/__init__.py", "lxml/__init__.py",
            "chatbot_app/rag/rds-ca-bundle.pem", "chatbot_app/rag/migrations/0001_schema.sql"} <= set(names)
    assert not [n for n in names if n.split("/")[0].startswith(("boto3", "botocore"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", "/RECORD", "/INSTALLER"))]
    assert {i.date_time for i in infos} == {pl.FIXED_TIME}
    assert {i.external_attr >> 16 for i in infos} <= {0o100644, 0o100755}
    assert any(n.endswith("-aarch64-linux-gnu.so") for n in names)
    assert not any("x86_64" in n for n in names)


def test_zip_ignores_mtimes_and_walk_order(tmp_path: Path) -> None:
    staging = tmp_path / "root"
    (staging / "pkg" / "__pycache__").mkdir(parents=True)
    (staging / "pkg" / "b.py").write_text("b = 1\n")
    (staging / "pkg" / "a.py").write_text("a = 1\n")
    (staging / "pkg" / "__pycache__" / "a.cpython-314.pyc").write_bytes(b"junk")
    (staging / "x.dist-info").mkdir()
    (staging / "x.dist-info" / "RECORD").write_text(f"{tmp_path}\n")
    digests = []
    for stamp in (1_000_000_000, 1_700_000_000):
        for path in staging.rglob("*"):
            os.utime(path, (stamp, stamp))
        out = tmp_path / f"{stamp}.zip"
        pl.write_zip(staging, pl.archive_members(staging), out)
        digests.append(pl.sha256(out))
    assert digests[0] == digests[1]
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == ["pkg/a.py", "pkg/b.py"]


def test_refuses_runtime_sdk_and_foreign_binaries(tmp_path: Path) -> None:
    (tmp_path / "botocore").mkdir()
    (tmp_path / "botocore" / "__init__.py").write_text("")
    with pytest.raises(pl.PackagingError, match="do not bundle"):
        pl.check_members(tmp_path, pl.archive_members(tmp_path))
    (tmp_path / "botocore" / "__init__.py").unlink()
    (tmp_path / "botocore").rmdir()
    x86 = bytearray(b"\x7fELF" + bytes(16))
    x86[18:20] = (62).to_bytes(2, "little")  # EM_X86_64
    (tmp_path / "_speedups.cpython-314-x86_64-linux-gnu.so").write_bytes(bytes(x86))
    with pytest.raises(pl.PackagingError, match="not an arm64"):
        pl.check_members(tmp_path, pl.archive_members(tmp_path))
