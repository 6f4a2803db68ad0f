# Run by the reproduction as a pytest file: the override is keyed on the function the route
# really depends on, so the test database is used.
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from ordersvc import app
from ordersvc_deps import get_db

test_engine = create_engine(
    "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
)
with test_engine.begin() as conn:
    conn.execute(text("create table orders (id integer primary key)"))


def override_get_db():
    with Session(test_engine) as db:
        yield db


def test_count_orders():
    app.dependency_overrides[get_db] = override_get_db
    client = TestClient(app)
    response = client.get("/orders/count")
    assert response.json() == {"count": 0}
