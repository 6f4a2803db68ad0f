# Shared by the orders_* apps: a SQLite file behind a deliberately tiny QueuePool.
import os

from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

engine = create_engine(
    f"sqlite:///{os.environ.get('ORDERS_DB', 'orders.db')}",
    pool_size=1,
    max_overflow=0,
    pool_timeout=1,
)
SessionLocal = sessionmaker(bind=engine)

with engine.begin() as conn:
    conn.execute(text("create table if not exists orders (id integer primary key, item text)"))
    conn.execute(text("insert or replace into orders values (1, 'book'), (2, 'pen')"))


def pool_state() -> dict:
    return {"status": engine.pool.status(), "checked_out": engine.pool.checkedout()}
