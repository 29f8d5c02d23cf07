"""The pods' network: one CNI bridge inside the node's namespace, never masqueraded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kansoku import conventions as cv
from kansoku.cluster import containerd

BRIDGE = "cni0"


def conflist(directory: Path) -> dict[str, Any]:
    subnet = cv.REAL_NODE_POD_CIDR
    gateway = subnet.rsplit(".", 1)[0] + ".1"
    return {
        "cniVersion": "1.0.0",
        "name": "kansoku-pods",
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": True,
                # No NAT: nothing leaves the namespace, so there is nothing to masquerade for.
                "ipMasq": False,
                # A pod can reach itself through its own Service.
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    # Its leases would go to /var/lib/cni/networks.
                    "dataDir": str(directory / "cni" / "ipam"),
                    "ranges": [[{"subnet": subnet, "gateway": gateway}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            }
        ],
    }


def write(directory: Path) -> Path:
    conf = containerd.cni_conf_dir(directory)
    conf.mkdir(parents=True, exist_ok=True)
    path = conf / "10-kansoku-pods.conflist"
    path.write_text(json.dumps(conflist(directory), indent=2) + "\n")
    return path
