from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from models import Address, Base

engine = create_engine("sqlite:///app.db")


@event.listens_for(engine, "connect")
def enable_foreign_keys(dbapi_connection, connection_record):
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


Base.metadata.create_all(engine)
with Session(engine) as session:
    session.add(Address(email="ann@example.com", user_id=42))
    session.commit()
