"""The load generator: Locust, headless, simulated visitors on shop-frontend.

Run as ``python -m kansoku.services.loadgen``. It carries no OpenTelemetry SDK, so it emits no
telemetry of its own that could mix with the services' signals; its requests say
``User-Agent: kansoku-loadgen/1``, so they can be told apart in traces and logs.
"""
