from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)
with Session(engine) as session:
    session.add(User(name="ann"))
    session.commit()


def get_user(user_id):
    with Session(engine) as session:
        return session.scalars(select(User).where(User.id == user_id)).one()


user = get_user(1)
print(user.addresses)
