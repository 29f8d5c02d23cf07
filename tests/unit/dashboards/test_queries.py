"""Reading queries back out of dashboards: metric names, variable expansion, Jaeger calls."""

from __future__ import annotations

import json

import pytest

from kansoku.dashboards import live, queries


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
