from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import Base

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)
payload = {"name": "ann", "email": "ann@example.com"}
with Session(engine) as session:
    session.add(payload)
