from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)
request_session = Session(engine)
user = User(name="ann")
request_session.add(user)

worker_session = Session(engine)
worker_session.add(user)
