"""Read-only project endpoints. Anonymous callers see public records only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from critmin.api.deps import SessionDep
from critmin.domain.enums import ProjectStatus, Stage
from critmin.services import projects as service

router = APIRouter(prefix="/projects", tags=["projects"])


@router.get("", summary="List projects")
def list_projects(
    session: SessionDep,
    mineral: str | None = Query(None, max_length=40),
    stage: Stage | None = None,
    status: ProjectStatus | None = None,
    country: str | None = Query(None, pattern=r"^[A-Za-z]{3}$"),
) -> dict[str, Any]:
    rows = service.list_projects(
        session=session,
        mineral=mineral,
        stage=stage.value if stage else None,
        status=status.value if status else None,
        country=country,
        public_only=True,
    )
    return {"data": rows, "count": len(rows)}


@router.get("/{project_id}", summary="One project in full")
def get_project(session: SessionDep, project_id: int) -> dict[str, Any]:
    try:
        return service.project_detail(session=session, ref=project_id, public_only=True)
    except service.ProjectNotFound:
        raise HTTPException(status_code=404, detail=f"no project with id {project_id}") from None
