"""The OpenAPI schema of /api/v1/: generated without warnings, valid, served, with docs."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    # --fail-on-warn turns every drf-spectacular warning or error into a failure (CI gate).
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/entries/" in text or "/api/v1/me/" in text
    assert "/api/greader" not in text and "/api/fever" not in text


@pytest.mark.django_db
def test_the_schema_and_the_docs_are_served_without_a_cdn():
    client = Client()
    schema = client.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Tidings API"
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_every_operation_documents_its_errors_and_an_operation_id():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, op in item.items():
            assert op.get("operationId"), (method, path)
            assert "401" in op["responses"], (method, path)
            assert "429" in op["responses"], (method, path)
            if "{" in path:
                assert "404" in op["responses"], (method, path)


def test_the_examples_of_list_endpoints_are_lists_of_objects():
    """An array response's example is ``[{...}]``, never nested twice (``[[{...}]]``)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    subscriptions = schema["paths"]["/api/v1/subscriptions/"]["get"]["responses"]["200"]
    checked = 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            for status, response in op.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                if content.get("schema", {}).get("type") != "array":
                    continue
                for name, example in content.get("examples", {}).items():
                    value = example["value"]
                    assert isinstance(value, list), (method, path, status, name)
                    assert value and all(isinstance(v, dict) for v in value), (
                        method,
                        path,
                        status,
                        name,
                    )
                    checked += 1
    listed = subscriptions["content"]["application/json"]["examples"]
    assert all(isinstance(e["value"][0], dict) for e in listed.values())
    assert checked >= 6
