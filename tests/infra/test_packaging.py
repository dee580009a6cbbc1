"""Lambda assets hold Lambda-platform wheels and only what the functions need."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from infra import packaging
from infra.packaging import (
    MAX_UNZIPPED_BYTES,
    BuiltAsset,
    PackagingError,
    build_asset,
    describe_sizes,
)

# Stands in for pip/uv: "installs" a library, a runtime-provided distribution and
# the clutter a real install leaves, and counts how often it ran.
FAKE_INSTALLER = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    target = Path(sys.argv[1])
    counter = Path(sys.argv[2])
    runs = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(runs + 1))
    for path, text in {
        "library/__init__.py": "VALUE = 1\\n",
        "library/__pycache__/__init__.cpython-312.pyc": "",
        "library/_types.pyi": "",
        "library-1.0.dist-info/METADATA": "Name: library\\n",
        "library-1.0.dist-info/RECORD": "library/__init__.py,,\\n",
        "library-1.0.dist-info/licenses/LICENSE": "MIT\\n",
        "botocore/__init__.py": "",
        "botocore/data/big.json": "{}",
        "botocore-1.0.dist-info/METADATA": "Name: botocore\\n",
        "botocore-1.0.dist-info/RECORD": (
            "botocore/__init__.py,,\\nbotocore/data/big.json,,\\n"
            "botocore-1.0.dist-info/METADATA,,\\n"
        ),
        "bin/library-cli": "",
    }.items():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_text(text)
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A minimal source tree with the folders an asset is built from."""
    root = tmp_path / "project"
    files = {
        "pyproject.toml": '[project]\nname = "x"\ndependencies = ["library==1.0"]\n',
        "services/notification_service/handler.py": "def handle(e, c): ...\n",
        "services/notification_service/tests/test_handler.py": "",
        "services/contract_types/__init__.py": "",
        "generated/__init__.py": "",
        "generated/__pycache__/task.cpython-311.pyc": "",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


@pytest.fixture
def installs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Replace the wheel installer by FAKE_INSTALLER; returns its run counter."""
    counter = tmp_path / "installs"

    def command(
        requirements: list[str], target: Path, architecture: str, python: str
    ) -> list[str]:
        return [sys.executable, "-c", FAKE_INSTALLER, str(target), str(counter)]

    monkeypatch.setattr(packaging, "_install_command", command)
    return counter


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_asset_holds_sources_and_stripped_dependencies(
    project: Path, installs: Path, tmp_path: Path
) -> None:
    asset = build_asset(
        "notification", "arm64", build_dir=tmp_path / "build", root=project
    )

    assert files_under(asset.path) == {
        "library/__init__.py",
        "library-1.0.dist-info/METADATA",
        "library-1.0.dist-info/licenses/LICENSE",
        "notification_service/handler.py",
        "contract_types/__init__.py",
        "generated/__init__.py",
    }
    assert asset.size_bytes == sum(
        p.stat().st_size for p in asset.path.rglob("*") if p.is_file()
    )


def test_second_build_reuses_the_cache(
    project: Path, installs: Path, tmp_path: Path
) -> None:
    first = build_asset("notification", "arm64", build_dir=tmp_path / "b", root=project)

    second = build_asset(
        "notification", "arm64", build_dir=tmp_path / "b", root=project
    )

    assert second.path == first.path
    assert installs.read_text() == "1"


def test_source_change_rebuilds_the_asset_but_not_the_dependencies(
    project: Path, installs: Path, tmp_path: Path
) -> None:
    build_dir = tmp_path / "build"
    first = build_asset("notification", "arm64", build_dir=build_dir, root=project)
    handler = project / "services" / "notification_service" / "handler.py"
    handler.write_text("def handle(e, c): return 1\n")

    second = build_asset("notification", "arm64", build_dir=build_dir, root=project)

    assert second.path != first.path
    assert not first.path.exists()  # the stale build is pruned
    assert (second.path / "notification_service" / "handler.py").read_text() == (
        "def handle(e, c): return 1\n"
    )
    assert installs.read_text() == "1"


def test_architecture_is_part_of_the_cache_key(
    project: Path, installs: Path, tmp_path: Path
) -> None:
    build_dir = tmp_path / "build"

    arm = build_asset("notification", "arm64", build_dir=build_dir, root=project)
    intel = build_asset("notification", "x86_64", build_dir=build_dir, root=project)

    assert arm.path != intel.path
    assert installs.read_text() == "2"


def test_missing_service_package_is_reported(project: Path, tmp_path: Path) -> None:
    with pytest.raises(PackagingError) as raised:
        build_asset("task", "arm64", build_dir=tmp_path / "build", root=project)

    assert str(raised.value) == (
        "cannot build the task asset: missing source folder(s) services/task_service"
    )


def test_size_report_flags_assets_over_the_budget() -> None:
    assets = [
        BuiltAsset("task", Path("/b/task"), size_bytes=12 * 2**20),
        BuiltAsset("notification", Path("/b/n"), size_bytes=MAX_UNZIPPED_BYTES + 1),
    ]

    assert describe_sizes(assets) == [
        "task           12.00 MB unzipped (within the 15 MB budget)  /b/task",
        "notification   15.00 MB unzipped (OVER the 15 MB budget)  /b/n",
    ]


@pytest.mark.bundling
def test_real_notification_asset_is_built_for_lambda_arm64(tmp_path: Path) -> None:
    asset = build_asset("notification", "arm64", build_dir=tmp_path)

    files = files_under(asset.path)
    assert "notification_service/handler.py" in files
    assert "generated/handoff_event.py" in files
    assert "contract_types/__init__.py" in files
    assert "aws_lambda_powertools/__init__.py" in files
    [pydantic_core] = [f for f in files if f.startswith("pydantic_core/_pydantic_core")]
    assert pydantic_core.endswith("cpython-312-aarch64-linux-gnu.so")
    assert not [f for f in files if f.startswith(("botocore/", "boto3/"))]
    assert not [f for f in files if "__pycache__" in f]
    assert asset.size_bytes <= MAX_UNZIPPED_BYTES
