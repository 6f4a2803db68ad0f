from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)
with Session(engine) as session:
    session.add(User(email="ann@example.com"))
    session.commit()
