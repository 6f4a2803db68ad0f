# Where the routes now take their session from.
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

engine = create_engine(os.environ.get("DATABASE_URL", "sqlite:////var/lib/ordersvc/orders.db"))


def get_db():
    with Session(engine) as db:
        yield db
