"""Build the chat application's Lambda archive reproducibly, without Docker.

    .venv/bin/python -m tools.package_lambda [--out build/lambda/app.zip]

The archive holds app/chatbot_app plus requirements-app.txt installed as Lambda arm64 / Python 3.14 wheels
(`pip install --platform ... --only-binary=:all:`). Files are sorted, timestamps fixed at 1980-01-01,
permissions normalised and pip's per-install metadata dropped, so the same inputs give the same sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess  # noqa: S404  # nosec B404
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_PACKAGE = ROOT / "app" / "chatbot_app"
REQUIREMENTS = ROOT / "requirements-app.txt"
DEFAULT_OUT = ROOT / "build" / "lambda" / "app.zip"
PYTHON_VERSION = "3.14"
# Lambda's python3.14 runs on Amazon Linux 2023 (glibc 2.34); pip does not expand these tags by itself.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
# Lambda takes at most 50 MB zipped when the archive is uploaded directly (as Pulumi does) and 250 MB
# unzipped; a margin below both keeps a dependency bump from failing only at deploy time.
MAX_ZIP_BYTES = 45 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
# Written by pip per install (paths, installer name) or irrelevant at run time.
SKIP_NAMES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
SKIP_DIRS = {"__pycache__", "bin"}
LOCAL_ONLY = {"local"}  # chatbot_app/local: `make serve` only (wordllama is not in requirements-app.txt)
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil")
ELF_MACHINE_AARCH64 = 183


class PackagingError(RuntimeError):
    pass


def pip_install(requirements: Path, target: Path) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-compile", "--no-deps", "--only-binary=:all:", "--implementation", "cp",
               "--python-version", PYTHON_VERSION, "--target", str(target), "-r", str(requirements)]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    # Our own interpreter's pip with a fixed argument list.
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise PackagingError(f"pip could not install Lambda arm64 wheels:\n{result.stderr.strip()}")


def _ignore_in_app(directory: str, names: list[str]) -> set[str]:
    ignored = set(shutil.ignore_patterns("__pycache__", "*.pyc")(directory, names))
    if Path(directory).name == APP_PACKAGE.name:
        ignored |= set(names) & LOCAL_ONLY  # the local mode's adapters need dev-only packages
    return ignored


def stage(app_package: Path, requirements: Path, staging: Path) -> None:
    pip_install(requirements, staging)
    shutil.copytree(app_package, staging / app_package.name, dirs_exist_ok=False, ignore=_ignore_in_app)


def archive_members(staging: Path) -> list[Path]:
    members = []
    for dirpath, dirnames, filenames in os.walk(staging):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name in SKIP_NAMES or name.endswith(".pyc"):
                continue
            members.append(Path(dirpath, name))
    return sorted(members, key=lambda p: p.relative_to(staging).as_posix())


def check_members(staging: Path, members: list[Path]) -> None:
    top = {p.relative_to(staging).parts[0] for p in members}
    bundled = sorted(t for t in top if t.split("-")[0] in RUNTIME_PROVIDED)
    if bundled:
        raise PackagingError(f"the Lambda runtime provides these; do not bundle them: {bundled}")
    for path in members:
        if ".so" in path.name:
            header = path.read_bytes()[:20]
            if header[:4] != b"\x7fELF" or int.from_bytes(header[18:20], "little") != ELF_MACHINE_AARCH64:
                raise PackagingError(f"{path.relative_to(staging)} is not an arm64 Linux binary")


def write_zip(staging: Path, members: list[Path], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    # A unique partial file per build: concurrent builds never rename each other's file away.
    handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    os.close(handle)
    partial = Path(name)
    with zipfile.ZipFile(partial, "w") as archive:
        for path in members:
            info = zipfile.ZipInfo(path.relative_to(staging).as_posix(), date_time=FIXED_TIME)
            info.create_system = 3  # unix, so the permission bits below are honoured
            info.external_attr = (0o100755 if os.access(path, os.X_OK) else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    partial.replace(out)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(out: Path = DEFAULT_OUT, app_package: Path = APP_PACKAGE, requirements: Path = REQUIREMENTS) -> str:
    """Build the archive and return its sha256."""
    with tempfile.TemporaryDirectory(prefix="lambda-build-") as tmp:
        staging = Path(tmp, "root")
        stage(app_package, requirements, staging)
        members = archive_members(staging)
        check_members(staging, members)
        write_zip(staging, members, out)
    size = out.stat().st_size
    if size > MAX_ZIP_BYTES:
        raise PackagingError(f"{out} is {size / 1e6:.1f} MB; the limit is {MAX_ZIP_BYTES / 1e6:.1f} MB")
    with zipfile.ZipFile(out) as archive:
        unzipped = sum(member.file_size for member in archive.infolist())
    if unzipped > MAX_UNZIPPED_BYTES:
        raise PackagingError(f"{out} unpacks to {unzipped / 1e6:.1f} MB; the limit is "
                             f"{MAX_UNZIPPED_BYTES / 1e6:.1f} MB")
    return sha256(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="archive (default: %(default)s)")
    parser.add_argument("--requirements", type=Path, default=REQUIREMENTS)
    args = parser.parse_args(argv)
    try:
        digest = build(args.out, requirements=args.requirements)
    except PackagingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out}  {args.out.stat().st_size / 1e6:.2f} MB  sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
