"""Lambda assets built without Docker.

An asset is a folder that becomes the function's zip: the runtime wheels of
``[project].dependencies`` installed for the Lambda platform (manylinux, the target
architecture, the runtime's Python), then the service package, ``generated`` and
``contract_types`` from the source tree. Nothing is compiled here, so the wheels need
not run on this machine.

Building happens in two cached layers under ``build/lambda`` (git-ignored):

* ``deps-<arch>-py<version>-<hash>``: the installed wheels, keyed on the requirements,
  the platform and the runtime's Python version; rebuilt only when one of those changes.
* ``<kind>-<arch>-<hash>``: the dependencies plus the sources, keyed on the dependency
  layer and the sources' content; rebuilt whenever a source file changes.

Each layer is built in a temporary folder and renamed into place when complete, so an
interrupted build is never mistaken for a cached one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args

from infra.stages import Architecture

FunctionKind = Literal["task", "notification"]
FUNCTION_KINDS: Final[tuple[FunctionKind, ...]] = get_args(FunctionKind)

ROOT: Final = Path(__file__).resolve().parent.parent
DEFAULT_BUILD_DIR: Final = ROOT / "build" / "lambda"

LAMBDA_PYTHON_VERSION: Final = "3.12"
MAX_UNZIPPED_BYTES: Final = 15 * 1024 * 1024

SERVICE_PACKAGES: Final[dict[FunctionKind, str]] = {
    "task": "task_service",
    "notification": "notification_service",
}
# Source folders copied to the asset's root, under their own names.
SHARED_SOURCES: Final = (Path("generated"), Path("services") / "contract_types")

# The Lambda Python runtime ships boto3 and its dependencies; a second copy in the
# asset would only add ~30 MB (botocore's service models) and shadow the runtime's.
RUNTIME_PROVIDED: Final = frozenset(
    {"boto3", "botocore", "jmespath", "python-dateutil", "s3transfer", "six", "urllib3"}
)
_MANYLINUX: Final[dict[Architecture, str]] = {
    "arm64": "aarch64",
    "x86_64": "x86_64",
}
# Bump when the layout or the stripping rules change, to invalidate every cache.
_LAYOUT_VERSION: Final = "2"
# What the function never imports: byte code compiled for this machine's Python,
# type stubs, tests. (Console scripts, in the top-level bin/, go too.)
_NOT_SHIPPED: Final = ("__pycache__", "*.pyc", "*.pyi", "tests")
# Of each *.dist-info folder, only what importlib.metadata and licences need.
_DIST_INFO_KEPT: Final = re.compile(r"METADATA|licenses|LICEN[CS]E.*|NOTICE.*")


class PackagingError(RuntimeError):
    """A Lambda asset could not be built; the message says which and why."""


@dataclass(frozen=True)
class BuiltAsset:
    """A finished asset folder and its unzipped size."""

    kind: FunctionKind
    path: Path
    size_bytes: int

    @property
    def within_budget(self) -> bool:
        """Whether the asset stays under the project's unzipped size budget."""
        return self.size_bytes <= MAX_UNZIPPED_BYTES


def runtime_requirements(root: Path = ROOT) -> list[str]:
    """The pinned ``[project].dependencies`` of ``pyproject.toml``."""
    with (root / "pyproject.toml").open("rb") as file:
        return list(tomllib.load(file)["project"]["dependencies"])


def build_assets(
    architecture: Architecture,
    *,
    build_dir: Path = DEFAULT_BUILD_DIR,
    root: Path = ROOT,
) -> dict[FunctionKind, BuiltAsset]:
    """Build (or reuse) the asset of every function kind."""
    return {
        kind: build_asset(kind, architecture, build_dir=build_dir, root=root)
        for kind in FUNCTION_KINDS
    }


def build_asset(
    kind: FunctionKind,
    architecture: Architecture,
    *,
    build_dir: Path = DEFAULT_BUILD_DIR,
    root: Path = ROOT,
) -> BuiltAsset:
    """Build (or reuse) the asset folder of one function kind.

    Raises
    ------
    PackagingError
        When a source folder is missing or the wheels cannot be installed.
    """
    sources = [
        root / "services" / SERVICE_PACKAGES[kind],
        *map(root.joinpath, SHARED_SOURCES),
    ]
    missing = [
        str(source.relative_to(root)) for source in sources if not source.is_dir()
    ]
    if missing:
        raise PackagingError(
            f"cannot build the {kind} asset: missing source folder(s) "
            f"{', '.join(missing)}"
        )

    dependencies = _dependency_layer(
        architecture, runtime_requirements(root), build_dir
    )
    key = _digest([dependencies.name, *_source_fingerprints(sources)])
    asset = build_dir / f"{kind}-{architecture}-{key}"
    if not asset.is_dir():
        with _staging(build_dir, asset) as staging:
            shutil.copytree(dependencies, staging, dirs_exist_ok=True)
            for source in sources:
                shutil.copytree(
                    source,
                    staging / source.name,
                    ignore=shutil.ignore_patterns(*_NOT_SHIPPED),
                )
        _prune(build_dir, prefix=f"{kind}-{architecture}-", keep=asset)
    return BuiltAsset(kind=kind, path=asset, size_bytes=unzipped_size(asset))


def unzipped_size(folder: Path) -> int:
    """The total size in bytes of the files under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def describe_sizes(assets: Iterable[BuiltAsset]) -> list[str]:
    """One line per asset: kind, unzipped size in MB, and whether it fits the budget."""
    budget = MAX_UNZIPPED_BYTES / 2**20
    return [
        f"{asset.kind:<13} {asset.size_bytes / 2**20:6.2f} MB unzipped "
        f"({'within' if asset.within_budget else 'OVER'} the {budget:.0f} MB budget)"
        f"  {asset.path}"
        for asset in assets
    ]


# ---------------------------------------------------------------- dependency layer


def _dependency_layer(
    architecture: Architecture, requirements: list[str], build_dir: Path
) -> Path:
    """The folder of runtime wheels for the platform, installed once and cached."""
    python = LAMBDA_PYTHON_VERSION
    key = _digest(
        [
            _LAYOUT_VERSION,
            architecture,
            python,
            *sorted(requirements),
            *RUNTIME_PROVIDED,
        ]
    )
    layer = build_dir / f"deps-{architecture}-py{python}-{key}"
    if layer.is_dir():
        return layer

    with _staging(build_dir, layer) as staging:
        command = _install_command(requirements, staging, architecture, python)
        # The command is built from pyproject.toml's pins and fixed options only.
        completed = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            raise PackagingError(
                f"installing {', '.join(requirements)} for manylinux {architecture} "
                f"(Python {python}) failed:\n{completed.stderr.strip()}"
            )
        _remove_distributions(staging, RUNTIME_PROVIDED)
        _strip(staging)
    _prune(build_dir, prefix=f"deps-{architecture}-", keep=layer)
    return layer


def _install_command(
    requirements: list[str], target: Path, architecture: Architecture, python: str
) -> list[str]:
    """An installer command that fetches only binary wheels built for Lambda.

    uv is preferred: it is what nox builds its environments with, and those
    environments carry no pip. pip is the fallback, with the equivalent options.
    """
    machine = _MANYLINUX[architecture]
    uv = shutil.which("uv")
    if uv is not None:
        return [
            uv, "pip", "install", "--quiet",
            "--target", str(target),
            "--python-platform", f"{machine}-manylinux2014",
            "--python-version", python,
            "--only-binary", ":all:",
            *requirements,
        ]  # fmt: skip
    if importlib.util.find_spec("pip") is None:
        raise PackagingError(
            "building Lambda assets needs uv or pip: install uv "
            "(https://docs.astral.sh/uv/) or pip in this environment"
        )
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
        "--target", str(target),
        "--platform", f"manylinux2014_{machine}",
        "--implementation", "cp",
        "--python-version", python,
        "--only-binary=:all:",
        *requirements,
    ]  # fmt: skip


def _remove_distributions(target: Path, names: frozenset[str]) -> None:
    """Delete installed distributions, file by file, as listed in their RECORD."""
    for dist_info in target.glob("*.dist-info"):
        name = dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        if _normalize(name) not in names:
            continue
        record = dist_info / "RECORD"
        for line in record.read_text(encoding="utf-8").splitlines():
            relative = line.split(",", 1)[0]
            if relative:
                (target / relative).unlink(missing_ok=True)
        shutil.rmtree(dist_info, ignore_errors=True)
    _remove_empty_folders(target)


def _strip(target: Path) -> None:
    """Remove what the functions never load (see ``_NOT_SHIPPED``)."""
    for pattern in _NOT_SHIPPED:
        for path in list(target.rglob(pattern)):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    for path in [target / "bin", *target.glob("*-stubs")]:
        shutil.rmtree(path, ignore_errors=True)
    for dist_info in target.glob("*.dist-info"):
        for path in dist_info.iterdir():
            if _DIST_INFO_KEPT.fullmatch(path.name):
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    _remove_empty_folders(target)


# ---------------------------------------------------------------- helpers


def _source_fingerprints(sources: Iterable[Path]) -> Iterator[str]:
    """A line per shipped source file: its path and the digest of its content."""
    for source in sources:
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source.parent)
            if path.is_file() and not _ignored(relative):
                content = hashlib.sha256(path.read_bytes()).hexdigest()
                yield f"{relative.as_posix()}:{content}"


def _ignored(relative: Path) -> bool:
    return any(
        Path(part).match(pattern) for part in relative.parts for pattern in _NOT_SHIPPED
    )


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256(json.dumps(list(parts)).encode()).hexdigest()[:16]


def _normalize(name: str) -> str:
    """A distribution name in its canonical form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@contextmanager
def _staging(build_dir: Path, final: Path) -> Iterator[Path]:
    """A temporary folder beside ``final``, renamed to ``final`` when complete."""
    build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=build_dir))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if final.exists():  # another process finished the same build first
        shutil.rmtree(staging, ignore_errors=True)
    else:
        staging.rename(final)


def _prune(build_dir: Path, *, prefix: str, keep: Path) -> None:
    """Delete older builds of the same layer so ``build/`` does not grow forever."""
    for path in build_dir.glob(f"{prefix}*"):
        if path != keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _remove_empty_folders(target: Path) -> None:
    for path in sorted(target.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
