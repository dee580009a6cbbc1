"""The size of each Lambda asset, built for real by :mod:`infra.packaging`."""

from __future__ import annotations

from dataclasses import dataclass

from infra.packaging import MAX_UNZIPPED_BYTES, build_assets
from infra.stages import Architecture

MB = 2**20


@dataclass(frozen=True)
class AssetSize:
    kind: str
    megabytes: float
    path: str


def measure(architecture: Architecture) -> list[AssetSize]:
    """Build (or reuse from ``build/lambda``) every asset; their unzipped sizes."""
    return [
        AssetSize(kind, asset.size_bytes / MB, str(asset.path))
        for kind, asset in build_assets(architecture).items()
    ]


BUDGET_MB = MAX_UNZIPPED_BYTES / MB
