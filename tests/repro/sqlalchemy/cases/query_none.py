from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)
with Session(engine) as session:
    user = session.scalars(select(User).where(User.name == "nobody")).one()
