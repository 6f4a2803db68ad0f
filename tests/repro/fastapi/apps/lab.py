# Runtime dependency failures, one endpoint each, plus healthy endpoints.
import os
import sqlite3
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

import shadowed

app = FastAPI()
app.include_router(shadowed.router)
DB_FILE = os.environ.get("LAB_DB", "lab.db")


class User(BaseModel):
    id: int
    name: str


# --- healthy ---------------------------------------------------------------------------------
def get_settings():
    return {"tenant": "acme"}


@app.get("/ok")
def ok(settings: Annotated[dict, Depends(get_settings)]):
    return settings


# --- the dependency's value does not have the response_model's shape ----------------------------
def get_current_user():
    return {"user_id": 1, "username": "alice"}


@app.get("/me", response_model=User)
def me(user: User = Depends(get_current_user)):
    return user


@app.get("/me/name")
def my_name(user: User = Depends(get_current_user)):
    return {"name": user.name}


# --- an async function called without await inside a dependency ------------------------------
async def fetch_user(user_id: int):
    return User(id=user_id, name="alice")


def get_user_not_awaited():
    return fetch_user(1)


@app.get("/profile", response_model=User)
async def profile(user: User = Depends(get_user_not_awaited)):
    return user


@app.get("/profile/name")
async def profile_name(user: User = Depends(get_user_not_awaited)):
    return {"name": user.name}


# --- yield dependency that catches the exception and does not re-raise -----------------------
def get_db_swallowing():
    db = {"conn": "orders"}
    try:
        yield db
    except Exception:
        db.clear()  # "rollback", but the exception is swallowed


@app.get("/orders/{order_id}")
def get_order(order_id: int, db: Annotated[dict, Depends(get_db_swallowing)]):
    raise HTTPException(status_code=404, detail="Order not found")


@app.post("/orders")
def create_order(db: Annotated[dict, Depends(get_db_swallowing)]):
    raise ValueError("price must be positive")


# --- yield dependency with two yields --------------------------------------------------------
def get_db_twice():
    yield {"conn": "primary"}
    yield {"conn": "replica"}


@app.get("/report")
def report(db: Annotated[dict, Depends(get_db_twice)]):
    return {"conn": db["conn"]}


async def get_client_twice():
    yield "client-1"
    yield "client-2"


@app.get("/report/async")
async def report_async(client: Annotated[str, Depends(get_client_twice)]):
    return {"client": client}


# --- class dependency whose __init__ parameters become request parameters --------------------
class OrderFilter:
    def __init__(self, status: str, options: dict):
        self.status = status
        self.options = options


@app.get("/orders")
def list_orders(f: OrderFilter = Depends()):
    return {"status": f.status}


@app.get("/search")
def search(q: str):
    return {"q": q}


# --- sqlite3 connection made in a worker thread, used in an async endpoint -------------------
def get_conn():
    conn = sqlite3.connect(DB_FILE)
    try:
        yield conn
    finally:
        conn.close()


@app.get("/stats")
async def stats(conn: Annotated[sqlite3.Connection, Depends(get_conn)]):
    return {"one": conn.execute("select 1").fetchone()[0]}


@app.get("/stats/sync")
def stats_sync(conn: Annotated[sqlite3.Connection, Depends(get_conn)]):
    return {"one": conn.execute("select 1").fetchone()[0]}


engine = create_engine(f"sqlite:///{DB_FILE}", connect_args={"check_same_thread": True})
SessionLocal = sessionmaker(bind=engine)


def get_session():
    db = SessionLocal()
    db.execute(text("select 1"))  # the connection is checked out here, in a worker thread
    try:
        yield db
    finally:
        db.close()


@app.get("/stats/orm")
async def stats_orm(db: Annotated[Session, Depends(get_session)]):
    return {"one": db.execute(text("select 1")).scalar()}
