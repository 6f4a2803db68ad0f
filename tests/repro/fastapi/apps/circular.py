# Two dependencies that depend on each other (stringified annotations make this importable).
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI

app = FastAPI()


def get_current_user(settings: Annotated[dict, Depends(get_settings)]):
    return {"name": "alice", "tenant": settings["tenant"]}


def get_settings(user: Annotated[dict, Depends(get_current_user)]):
    return {"tenant": user["name"]}


@app.get("/me")
def me(user: Annotated[dict, Depends(get_current_user)]):
    return user
