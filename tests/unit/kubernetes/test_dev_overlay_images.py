"""Every image the dev overlay runs is one kansoku builds (Grafana excepted: AGPL)."""

from __future__ import annotations

from kube_render import Rendering, pod_specs

from kansoku import images


def rendered_images(rendering: Rendering) -> set[str]:
    found = set()
    for _, spec in pod_specs(rendering):
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            found.add(container["image"])
    return found


def test_kansoku_builds_every_image_of_the_dev_overlay_but_grafana(
    renderings: dict[str, Rendering],
) -> None:
    wanted = rendered_images(renderings["dev"])
    grafana = {image for image in wanted if image.startswith("grafana/")}
    assert grafana, "the dev overlay runs Grafana's official image"
    assert wanted - grafana <= set(images.all_names())
    assert not grafana & set(images.all_names())  # AGPL: never built here


def test_the_dev_overlay_renders_the_dev_tags_of_our_images(
    renderings: dict[str, Rendering],
) -> None:
    ours = {i for i in rendered_images(renderings["dev"]) if i.startswith("kansoku/")}
    assert ours == {
        "kansoku/shop-backend:dev",
        "kansoku/shop-frontend:dev",
        "kansoku/loadgen:dev",
        "kansoku/otel-collector:dev",
    }
