from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)


def create_user(name):
    with Session(engine) as session:
        user = User(name=name)
        session.add(user)
        session.commit()
        return user


user = create_user("ann")
print(user.name)
