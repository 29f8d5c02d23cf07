"""The kansoku console: a web app (``console/`` in the checkout: TypeScript, React 18, the
Perses libraries) that renders the dashboards and traces, and the small server that serves
it and proxies the backends on one origin (docs/console.md).

- :mod:`.assets` builds the app with ``npm ci`` and Vite, cached per source hash;
- :mod:`.server` is the server (``python -m kansoku.console``), a local stack component.
"""
