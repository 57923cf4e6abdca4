"""Control-plane routes for fault rules and scenarios.

Requests are validated by ``emulator.faults.rules.FaultRuleSchema`` (a 400 names what is
wrong); answers are dumped through their schemas in ``schemas.py``, from which the OpenAPI
document is generated like the rest of the control plane's.
"""

from __future__ import annotations

from flask import Response, request

from ..faults import rules, scenarios
from .schemas import (
    FaultListSchema,
    FaultSchema,
    FaultsClearedSchema,
    ScenarioListSchema,
    ScenarioRunListSchema,
    ScenarioRunSchema,
)
from .views import bp, dumped, request_object

# -- rules --------------------------------------------------------------------------------------


@bp.post("/faults")
def create_fault() -> Response:
    """Add a fault rule: scope (tenant, vendor, method, path, operation), action, and when it fires.
    ---
    post:
      summary: Add a fault rule
      requestBody:
        required: true
        content:
          application/json:
            schema: FaultRuleSchema
      responses:
        201:
          content:
            application/json:
              schema: FaultSchema
        400: Error
    """
    rule = rules.add(request_object())
    return dumped(FaultSchema(), rules.as_json(rule), 201)


@bp.get("/faults")
def list_faults() -> Response:
    """Every rule (or one tenant's) with its counters and state.
    ---
    get:
      summary: List fault rules
      parameters:
      - in: query
        schema: FaultQuerySchema
      responses:
        200:
          content:
            application/json:
              schema: FaultListSchema
    """
    found = rules.listing(request.args.get("tenant"))
    return dumped(FaultListSchema(), {"faults": [rules.as_json(r) for r in found]})


@bp.delete("/faults")
def clear_faults() -> Response:
    """Delete every rule, or ``?tenant=vendor/name``'s.
    ---
    delete:
      summary: Clear fault rules
      parameters:
      - in: query
        schema: FaultQuerySchema
      responses:
        200:
          content:
            application/json:
              schema: FaultsClearedSchema
    """
    return dumped(FaultsClearedSchema(), {"removed": rules.clear(request.args.get("tenant"))})


@bp.get("/faults/<int:rule_id>")
def show_fault(rule_id: int) -> Response:
    """One rule with its counters and state.
    ---
    get:
      summary: Show a fault rule
      responses:
        200:
          content:
            application/json:
              schema: FaultSchema
        404: Error
    """
    return dumped(FaultSchema(), rules.as_json(rules.get(rule_id)))


@bp.patch("/faults/<int:rule_id>")
def change_fault(rule_id: int) -> Response:
    """Change a rule's fields (an action is replaced whole; null widens a scope); counters stay.
    ---
    patch:
      summary: Change a fault rule
      requestBody:
        required: true
        content:
          application/json:
            schema: FaultRuleSchema
      responses:
        200:
          content:
            application/json:
              schema: FaultSchema
        400: Error
        404: Error
    """
    changed = rules.change(rules.get(rule_id), request_object())
    return dumped(FaultSchema(), rules.as_json(changed))


@bp.delete("/faults/<int:rule_id>")
def delete_fault(rule_id: int) -> Response:
    """Delete a rule (journal entries keep its id).
    ---
    delete:
      summary: Delete a fault rule
      responses:
        204:
          description: deleted
        404: Error
    """
    rules.remove(rule_id)
    return Response(status=204)


# -- scenarios ----------------------------------------------------------------------------------


@bp.get("/scenarios")
def list_scenarios() -> Response:
    """The shipped scenarios, each with its steps.
    ---
    get:
      summary: List scenarios
      responses:
        200:
          content:
            application/json:
              schema: ScenarioListSchema
    """
    return dumped(ScenarioListSchema(), {"scenarios": scenarios.available()})


@bp.post("/scenarios/<name>/start")
def start_scenario(name: str) -> Response:
    """Start a scenario for a tenant (``{"tenant": "vendor/name"}``), a vendor, or every tenant.
    ---
    post:
      summary: Start a scenario
      requestBody:
        content:
          application/json:
            schema: ScenarioStartSchema
      responses:
        201:
          content:
            application/json:
              schema: ScenarioRunSchema
        400: Error
        404: Error
    """
    run = scenarios.start(name, request_object(optional=True))
    return dumped(ScenarioRunSchema(), scenarios.status(run), 201)


@bp.get("/scenarios/runs")
def list_runs() -> Response:
    """Every started scenario with its status.
    ---
    get:
      summary: List scenario runs
      responses:
        200:
          content:
            application/json:
              schema: ScenarioRunListSchema
    """
    return dumped(ScenarioRunListSchema(), {"runs": [scenarios.status(r) for r in scenarios.runs()]})


@bp.get("/scenarios/runs/<int:run_id>")
def show_run(run_id: int) -> Response:
    """A run's state, current step and rules.
    ---
    get:
      summary: Show a scenario run
      responses:
        200:
          content:
            application/json:
              schema: ScenarioRunSchema
        404: Error
    """
    return dumped(ScenarioRunSchema(), scenarios.status(scenarios.get(run_id)))


@bp.post("/scenarios/runs/<int:run_id>/stop")
def stop_run(run_id: int) -> Response:
    """Stop a run: its rules are disabled, their counters stay readable.
    ---
    post:
      summary: Stop a scenario run
      responses:
        200:
          content:
            application/json:
              schema: ScenarioRunSchema
        404: Error
    """
    return dumped(ScenarioRunSchema(), scenarios.status(scenarios.stop(scenarios.get(run_id))))
