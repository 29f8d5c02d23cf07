"""kansoku (観測): an OpenTelemetry-centred observability stack for Kubernetes and one machine."""

__version__ = "0.1.0"
