from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)
session = Session(engine)
session.add(User(name="ann", email="ann@example.com"))
session.commit()
try:
    session.add(User(name="ann2", email="ann@example.com"))
    session.commit()
except Exception as exc:
    print("commit failed:", type(exc).__name__)
print(session.query(User).count())
