from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///app.db", pool_size=2, max_overflow=1, pool_timeout=0.5)
Base.metadata.create_all(engine)
open_sessions = []


def handle_request():
    session = Session(engine)
    open_sessions.append(session)  # never closed
    return session.scalars(select(User)).all()


for _ in range(4):
    handle_request()
