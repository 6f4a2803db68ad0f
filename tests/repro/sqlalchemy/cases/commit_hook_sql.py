from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)
session = Session(engine)


@event.listens_for(session, "after_commit")
def audit(sess):
    sess.execute(select(User.id))


session.add(User(name="ann"))
session.commit()
