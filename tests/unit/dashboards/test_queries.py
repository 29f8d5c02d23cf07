"""Reading queries back out of dashboards: metric names, variable expansion, Jaeger calls,
LogsQL queries and links."""

from __future__ import annotations

import json

import pytest

from kansoku import conventions as cv
from kansoku import locations
from kansoku.dashboards import catalog, live, logs, model, panels, queries
from kansoku.dashboards.render import grafana, perses


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            'sum by (job) (rate(http_server_requests_total{job=~"a|b", le="0.1"}[5m]))',
            {"http_server_requests_total"},
        ),
        ("histogram_quantile(0.95, sum by (le) (rate(x_bucket[$__rate_interval])))", {"x_bucket"}),
        ("a / on() group_left b or on() vector(0)", {"a", "b"}),
        (
            'max by (job) (time() - timestamp(target_info{job=~"$service"}) < bool 60)',
            {"target_info"},
        ),
        ("vector($memory_limit_mib * 1048576)", set()),
        ('slo:sli_error:ratio_rate5m{slo="x"}', {"slo:sli_error:ratio_rate5m"}),
    ],
)
def test_metric_names_finds_selected_series_only(expr: str, names: set[str]) -> None:
    assert queries.metric_names(expr) == names


def test_expand_fills_variables_and_builtins_and_refuses_unknown() -> None:
    text = 'rate(x{job=~"$service", r="${route}"}[$__rate_interval])'
    assert queries.expand(text, {"service": "(a|b)", "route": "/"}) == (
        'rate(x{job=~"(a|b)", r="/"}[1m])'
    )
    with pytest.raises(KeyError, match="route"):
        queries.expand(text, {"service": "a"})


def test_regex_of_escapes_route_templates_for_a_promql_string() -> None:
    assert queries.regex_of(["/api/carts/{cart_id}", "/"]) == r"(/api/carts/\\{cart_id\\}|/)"


def test_label_values_call_splits_selector_and_label() -> None:
    assert queries.label_values_call('label_values({__name__=~"a|b", job=~"$s"}, http_route)') == (
        '{__name__=~"a|b", job=~"$s"}',
        "http_route",
    )
    assert queries.label_values_call("label_values(job)") == (None, "job")
    with pytest.raises(ValueError, match="label_values"):
        queries.label_values_call("query_result(up)")


def test_jaeger_search_becomes_the_query_api_call_grafana_makes() -> None:
    model = {"queryType": "search", "service": "$service", "tags": "error=true", "limit": 20}
    path, params = live.jaeger_request(model, {"service": "shop-backend"})
    assert path == "/api/traces"
    assert params["service"] == "shop-backend"
    assert json.loads(params["tags"]) == {"error": "true"}
    assert int(params["end"]) - int(params["start"]) == live.LOOKBACK_SECONDS * 1_000_000
    path, params = live.jaeger_request({"queryType": "dependencyGraph"}, {})
    assert path == "/api/dependencies"
    assert params["lookback"] == str(live.LOOKBACK_SECONDS * 1000)


def test_every_logsql_query_and_trace_link_is_read_back_from_the_json() -> None:
    found = {
        board.uid: queries.victorialogs_targets(catalog.load(locations.project_root(), board))
        for board in catalog.BOARDS
    }
    [errors] = found[cv.DASHBOARD_APPLICATION_UID]
    assert errors.panel == "Error logs of $service"
    assert errors.expr == '"service.name":$service severity_number:>=17'
    assert not errors.trace_link
    links = found[cv.DASHBOARD_TRACES_UID]
    assert {t.panel for t in links} == {
        "Recent traces of $service",
        "Traces answered 503 of $service",
    }
    assert {t.expr for t in links} == {'"trace_id":="${__value.raw}"'}
    assert all(t.trace_link for t in links)


def test_a_multi_value_variable_is_written_as_the_logs_datasource_writes_it() -> None:
    assert live.logsql_values(["shop-backend"]) == "shop-backend"
    assert (
        live.logsql_values(["shop-backend", "shop-frontend"]) == "(shop-backend OR shop-frontend)"
    )
    expr = queries.expand(logs.errors_of_service("service"), {"service": "(a OR b)"})
    assert expr == '"service.name":(a OR b) severity_number:>=17'


def test_a_log_panel_is_a_logs_table_with_its_logsql_in_the_perses_rendering() -> None:
    board = model.Dashboard("u", "t", "d", [])
    expr = logs.errors_of_service("service")
    board.with_panel(logs.logs_panel("Errors", "d", expr))
    data = perses.render(board)
    [panel] = data["spec"]["panels"].values()
    assert panel["spec"]["plugin"]["kind"] == "LogsTable"
    [query] = panel["spec"]["queries"]
    assert query["kind"] == "LogQuery"
    assert query["spec"]["plugin"] == {
        "kind": "VictoriaLogsLogQuery",
        "spec": {"query": expr, "limit": model.LogQuery(expr).max_lines},
    }
    # The plugin asks VictoriaLogs through the console's proxy: no datasource to declare.
    assert cv.DATASOURCE_VICTORIALOGS_UID not in data["spec"]["datasources"]


def test_a_trace_id_cell_links_to_the_trace_and_to_its_logs() -> None:
    panel = grafana.panel(
        panels.traces_panel("T", "d", panels.jaeger_search("$service"), logs_link=True)
    ).build()
    [override] = panel.field_config.overrides
    [links] = override.properties
    assert [link["title"] for link in links.value] == ["Open this trace", "Logs of this trace"]
    assert links.value[1]["internal"]["datasourceUid"] == cv.DATASOURCE_VICTORIALOGS_UID
