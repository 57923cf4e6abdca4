"""Control-plane routes for fault rules and scenarios."""

from __future__ import annotations

from flask import Response, jsonify, request

from ..extensions import db
from ..faults import rules, scenarios
from .credentials import json_object
from .views import bp


@bp.post("/faults")
def create_fault() -> tuple[Response, int]:
    rule = rules.create(request.get_json(silent=True))
    db.session.commit()
    return jsonify(rules.as_json(rule)), 201


@bp.get("/faults")
def list_faults() -> Response:
    return jsonify(faults=[rules.as_json(r) for r in rules.listing(request.args.get("tenant"))])


@bp.delete("/faults")
def clear_faults() -> Response:
    return jsonify(removed=rules.clear(request.args.get("tenant")))


@bp.get("/faults/<int:rule_id>")
def show_fault(rule_id: int) -> Response:
    return jsonify(rules.as_json(rules.get(rule_id)))


@bp.patch("/faults/<int:rule_id>")
def change_fault(rule_id: int) -> Response:
    return jsonify(rules.as_json(rules.change(rules.get(rule_id), request.get_json(silent=True))))


@bp.delete("/faults/<int:rule_id>")
def delete_fault(rule_id: int) -> Response:
    db.session.delete(rules.get(rule_id))
    db.session.commit()
    return Response(status=204)


@bp.get("/scenarios")
def list_scenarios() -> Response:
    return jsonify(scenarios=scenarios.available())


@bp.post("/scenarios/<name>/start")
def start_scenario(name: str) -> tuple[Response, int]:
    """Body: ``{"tenant": "vendor/name"}`` or ``{"vendor": "britive"}``; empty for every tenant."""
    return jsonify(scenarios.status(scenarios.start(name, json_object()))), 201


@bp.get("/scenarios/runs")
def list_runs() -> Response:
    return jsonify(runs=[scenarios.status(r) for r in scenarios.runs()])


@bp.get("/scenarios/runs/<int:run_id>")
def show_run(run_id: int) -> Response:
    return jsonify(scenarios.status(scenarios.get(run_id)))


@bp.post("/scenarios/runs/<int:run_id>/stop")
def stop_run(run_id: int) -> Response:
    return jsonify(scenarios.status(scenarios.stop(scenarios.get(run_id))))
