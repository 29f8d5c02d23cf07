"""Benchmarks of the local stack: capacity, instrumentation overhead, footprint, start-up.

``kansoku bench <scenario>`` (see ``command.py``); each scenario is a library call returning a
``report.ScenarioResult``, and the load generators run as separate processes
(``otlpload``, ``httpload``) so their CPU is measured apart from what they load.
"""
