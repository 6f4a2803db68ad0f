from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)
with Session(engine) as session:
    session.add_all([User(name="ann"), User(name="ann")])
    session.commit()
    user = session.scalars(select(User).where(User.name == "ann")).one()
