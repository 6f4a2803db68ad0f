from sqlalchemy import create_engine, select

from models import Base, User

engine = create_engine("sqlite:///app.db")
Base.metadata.create_all(engine)
with engine.connect() as conn:
    rows = conn.execute(select([User.__table__])).all()
