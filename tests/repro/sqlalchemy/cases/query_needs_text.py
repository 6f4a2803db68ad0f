from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from models import Base, User

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)
with Session(engine) as session:
    users = session.scalars(select(User).where("name = 'ann'")).all()
