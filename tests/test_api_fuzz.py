"""Schemathesis against /api/openapi.json, in-process (ASGI), with a coordinator's token on a loaded
plan: no input the schema allows (or nearly allows) gets a 500, and responses match their models.
Bounded to 30 examples per operation. (Schemathesis's lazy pytest fixture does not run on pytest 9,
so each operation's Hypothesis strategy is driven here directly.)"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.test_cli_reminders import EVENT_DUTY
from tests.test_planfile import VALID
from tests.web_world import app_for, coordinator_token, load_demo

OPERATIONS = [("GET", "/api/departments"), ("GET", "/api/occurrences"), ("GET", "/api/occurrences/{occurrence_id}"),
              ("POST", "/api/occurrences/{occurrence_id}/answer"), ("POST", "/api/events"),
              ("GET", "/reports/{month}.xlsx")]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_never_fails_with_a_server_error(engine, tmp_path, method, path):
    load_demo(engine, tmp_path, VALID + EVENT_DUTY)
    app = app_for(engine)
    headers = {"Authorization": f"Bearer {coordinator_token(engine)}"}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        # Schema-valid input may still be refused with a clear 422 (a date in year 6735, an unknown
        # duty): that is not a failure here, so positive_data_acceptance is left out.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()


def test_the_fuzzed_operations_are_all_the_api_and_report_routes(engine):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app_for(engine))
    found = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    found = {(m, p) for m, p in found if p.startswith(("/api/", "/reports/"))}
    assert found == set(OPERATIONS)
