"""Alerts reach a person: the local notification receiver and ``kansoku alerts``.

Alertmanager (``config/alertmanager``) routes the alerts Prometheus fires; in local mode every
receiver is a webhook to :mod:`kansoku.alerting.receiver`, which keeps each notification in
the data dir; :mod:`kansoku.alerting.notifications` reads them back for ``kansoku alerts``.
"""
