import threading

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from models import Base, User

# one shared in-memory database for the test suite
engine = create_engine("sqlite://", poolclass=StaticPool)
Base.metadata.create_all(engine)
errors = []


def handle_request():
    try:
        with Session(engine) as session:
            session.scalars(select(User)).all()
    except Exception as exc:
        errors.append(exc)


t = threading.Thread(target=handle_request)
t.start()
t.join()
raise errors[0]
