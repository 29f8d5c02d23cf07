"""SLOs as code: specs in ``config/slo/`` become Prometheus rules, promtool tests and a
Grafana dashboard (``kansoku slo generate``), following the Google SRE Workbook.

    spec         the model (SLO, SLI, window pairs) and decimal/duration helpers
    fields       typed reads that fail with file, field and expectation
    loader       kansoku YAML specs -> SLO objects (openslo: OpenSLO v1 subset)
    validate     stage 1: what a spec means (objective, buckets, duplicates, factors)
    promql       stage 2: SLI queries over the series the services really produce
    rules        stages 3-4: recording rules, multi-window multi-burn-rate alerts
    model        what the rules must compute for a synthetic history, exactly
    ruletests    stage 5: promtool unit tests derived from the model
    pipeline     the ordered stages and deterministic rendering
    output       writing files and the drift check; promtool: running the real binary
    command      the ``kansoku slo`` click group
"""
