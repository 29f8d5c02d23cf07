"""What the cluster tests apply: every overlay and component found under deploy/kubernetes."""

from __future__ import annotations

from kansoku import locations
from kansoku.cluster.manifests import targets

KUBERNETES = locations.project_root() / "deploy" / "kubernetes"
TARGETS = targets(KUBERNETES)
TARGET_IDS = [t.name for t in TARGETS]
