"""kubeconfig files: one cluster (server and CA), one user (a client certificate)."""

from __future__ import annotations

import json
from pathlib import Path

from kansoku import conventions as cv
from kansoku.cluster import certs


def write(path: Path, server: str, ca: Path, user: certs.Pair, name: str = "admin") -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cv.PROJECT, "cluster": {"server": server, "certificate-authority": str(ca)}}
        ],
        "users": [
            {
                "name": name,
                "user": {"client-certificate": str(user.cert), "client-key": str(user.key)},
            }
        ],
        "contexts": [{"name": cv.PROJECT, "context": {"cluster": cv.PROJECT, "user": name}}],
        "current-context": cv.PROJECT,
    }
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)
    return path
