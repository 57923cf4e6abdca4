"""Scenarios: named, versioned files of fault steps over time, started and stopped per tenant.

Starting a scenario writes all of its rules at once, each step's rules carrying that
step's time window; the database then decides what is active, so every worker plays the
same scenario with no scheduler running anywhere.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from flask import current_app
from sqlalchemy import select, update

from .. import clock
from ..clock import utcnow
from ..errors import ScimError, bad_request
from ..extensions import db
from ..models import FaultRule, ScenarioRun
from . import rules


def scenarios_dir() -> Path:
    """``fixtures/scenarios/`` of the checkout, or the copy an installed package ships."""
    shipped = Path(current_app.root_path) / "_data" / "fixtures" / "scenarios"
    return shipped if shipped.is_dir() else Path(current_app.root_path).parent / "fixtures" / "scenarios"


def read(path: Path) -> dict[str, Any]:
    spec = yaml.safe_load(path.read_text()) or {}
    spec.setdefault("name", path.stem)
    steps = spec.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ValueError(f"{path}: a scenario needs a non-empty list of steps")
    for index, step in enumerate(steps):
        if step.get("seconds") is None and index != len(steps) - 1:
            raise ValueError(
                f"{path}: only the last step may last indefinitely (step {index + 1} has no seconds)"
            )
    return spec


def available() -> list[dict[str, Any]]:
    """The shipped scenarios, each with its steps."""
    return [read(path) for path in sorted(scenarios_dir().glob("*.yaml"))]


def named(name: str) -> dict[str, Any]:
    for spec in available():
        if spec["name"] == name:
            return spec
    raise ScimError(404, f"no scenario {name!r}; shipped: {', '.join(s['name'] for s in available())}")


def start(name: str, scope: dict[str, Any]) -> ScenarioRun:
    """Start a scenario for a tenant (``{"tenant": "vendor/name"}``), a vendor, or everything.

    ``time_scale`` plays it faster (0.1: a 30 s step lasts 3 s) or slower.
    """
    spec = named(name)
    scope = dict(scope)
    scale = scope.pop("time_scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
        raise bad_request("time_scale must be a positive number")
    unknown = set(scope) - {"tenant", "vendor"}
    if unknown:
        raise bad_request(f"a scenario is scoped by tenant or vendor, not {', '.join(sorted(unknown))}")
    steps = [
        {**step, "seconds": step["seconds"] * scale} if step.get("seconds") else step
        for step in spec["steps"]
    ]
    run = ScenarioRun(name=spec["name"], version=spec.get("version"), tenant=scope.get("tenant"), steps=steps)
    db.session.add(run)
    db.session.flush()
    begins = run.started_at = utcnow()
    for step in steps:
        seconds = step.get("seconds")
        for rule in step.get("rules", []):
            body = {**scope, **rule}
            if seconds is not None:
                body.setdefault("ttl_seconds", seconds)
            rules.create(body, starts_at=begins, run_id=run.id)
        if seconds is not None:
            begins += timedelta(seconds=seconds)
    db.session.commit()
    return run


def get(run_id: int) -> ScenarioRun:
    run = db.session.get(ScenarioRun, run_id)
    if run is None:
        raise ScimError(404, f"no scenario run {run_id}")
    return run


def stop(run: ScenarioRun) -> ScenarioRun:
    """Stop a run: its rules are disabled (their counters stay readable)."""
    db.session.execute(update(FaultRule).where(FaultRule.scenario_run_id == run.id).values(enabled=False))
    run.stopped_at = run.stopped_at or utcnow()
    db.session.commit()
    return run


def runs() -> list[ScenarioRun]:
    return list(db.session.execute(select(ScenarioRun).order_by(ScenarioRun.id)).scalars())


def status(run: ScenarioRun) -> dict[str, Any]:
    """Where a run is: its current step, what each of its rules has done."""
    now = utcnow()
    elapsed = (now - run.started_at).total_seconds()
    offsets, total = [], 0.0
    for step in run.steps:
        offsets.append(total)
        total += float("inf") if step.get("seconds") is None else step["seconds"]
    current = max((i for i, offset in enumerate(offsets) if offset <= elapsed), default=0)
    finished = elapsed >= total
    run_rules = list(
        db.session.execute(
            select(FaultRule).where(FaultRule.scenario_run_id == run.id).order_by(FaultRule.id)
        ).scalars()
    )
    state = "stopped" if run.stopped_at else "finished" if finished else "running"
    return {
        "id": run.id,
        "scenario": run.name,
        "version": run.version,
        "tenant": run.tenant,
        "vendor": next((r.vendor for r in run_rules if r.vendor), None),  # a run scoped to a vendor
        "started_at": clock.shown(run.started_at),
        "elapsed_seconds": round(elapsed, 3),
        "state": state,
        "step": None if state != "running" else current + 1,
        "steps": [{"seconds": s.get("seconds"), "description": s.get("description")} for s in run.steps],
        "rules": [rules.as_json(r) for r in run_rules],
    }
