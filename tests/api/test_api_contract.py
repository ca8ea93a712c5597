"""The API keeps the contract its OpenAPI document states, tried by a real client: schemathesis
generates requests from /api/openapi.json and sends them to the live app as each role, with every
check (status codes, content types, response schemas, bad data refused, good data accepted, auth
not ignored) and every phase (examples, coverage, fuzzing, stateful). A fixed seed keeps a CI run
repeatable; the example count keeps it to a few minutes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from config.roles import Role
from config.tokens import token_create
from learning.rescoring import rescore_open_leads
from tests.conftest import make_user

SCHEMATHESIS = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def live_api(live_server: Any, transactional_db: None, defaults: None, make_leads: Any) -> str:
    make_leads(40, labeled=0.5)
    rescore_open_leads()
    return str(live_server.url)


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.ADMIN])
def test_schemathesis_finds_no_failure_as_any_role(live_api: str, role: Role, tmp_path: Path) -> None:
    token = token_create(user=make_user(f"contract-{role.value}", role))
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"{live_api}/api/openapi.json",
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        "16",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--no-color",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)

    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-2000:]
    assert "Stateful" in result.stdout


def openapi() -> dict[str, Any]:
    return json.loads(Client().get("/api/openapi.json").content)


@pytest.mark.django_db
def test_every_operation_describes_its_errors_with_the_error_body() -> None:
    document = openapi()
    error = document["components"]["schemas"]["Error"]
    assert "detail" in error["required"]

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("401", "403"):
                assert status in responses, f"{method} {path} does not describe {status}"
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"
    assert {"400", "404", "409", "413"} <= set(document["paths"]["/api/labels"]["post"]["responses"])
    assert "404" in document["paths"]["/api/leads/{external_id}"]["get"]["responses"]
    assert "413" in document["paths"]["/api/leads/bulk"]["post"]["responses"]


@pytest.mark.django_db
def test_every_status_and_outcome_is_an_enum() -> None:
    document = openapi()
    schemas = document["components"]["schemas"]
    leads = {p["name"]: p for p in document["paths"]["/api/leads"]["get"]["parameters"]}

    assert set(leads["status"]["schema"]["enum"]) == {"", "open", "converted", "not_converted"}
    assert set(schemas["LeadOut"]["properties"]["status"]["enum"]) == {"open", "converted", "not_converted"}
    assert set(schemas["LabelIn"]["properties"]["outcome"]["enum"]) == {"converted", "not_converted"}
    assert set(schemas["ReasonOut"]["properties"]["outcome"]["enum"]) == {"converted", "not_converted"}
    assert set(schemas["ModelOut"]["properties"]["status"]["enum"]) >= {"active", "candidate"}


@pytest.mark.django_db
def test_a_body_over_the_limit_gets_a_json_413(admin: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = Client(headers={"Authorization": f"Token {token_create(user=admin)}"})
    body = json.dumps({"items": [{"external_id": f"L{i}", "company": "x" * 50} for i in range(100)]})

    response = client.post("/api/leads/bulk", body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "1 KB" in response.json()["detail"] or "1024" in response.json()["detail"]


@pytest.mark.django_db
def test_an_unknown_api_path_and_a_wrong_method_answer_json(rep: Any) -> None:
    client = Client(headers={"Authorization": f"Token {token_create(user=rep)}"})

    missing = client.get("/api/no-such-endpoint")
    wrong_method = client.delete("/api/reasons")

    assert missing.status_code == 404 and missing.json()["detail"]
    assert wrong_method.status_code == 405 and wrong_method.json()["detail"]
    assert "GET" in wrong_method["Allow"]
