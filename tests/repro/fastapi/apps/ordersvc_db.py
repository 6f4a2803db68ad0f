# The original home of get_db. A refactor moved it to ordersvc_deps.py but left this copy behind,
# and the tests still import (and override) this one.
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

engine = create_engine(os.environ.get("DATABASE_URL", "sqlite:////var/lib/ordersvc/orders.db"))


def get_db():
    with Session(engine) as db:
        yield db
