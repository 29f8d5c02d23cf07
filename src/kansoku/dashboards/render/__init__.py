"""One renderer per output: :mod:`.grafana` (grafana-foundation-sdk, a development
dependency) and :mod:`.perses` (plain data), both from :mod:`kansoku.dashboards.model`."""
