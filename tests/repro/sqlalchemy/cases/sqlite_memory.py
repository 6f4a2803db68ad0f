import threading

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///:memory:")
Base.metadata.create_all(engine)
result = {}


def worker():
    try:
        with Session(engine) as session:
            result["users"] = session.scalars(select(User)).all()
    except Exception as exc:
        result["error"] = exc


t = threading.Thread(target=worker)
t.start()
t.join()
raise result["error"]
