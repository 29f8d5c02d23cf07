"""A real Kubernetes control plane on loopback, for trying and testing the manifests."""
