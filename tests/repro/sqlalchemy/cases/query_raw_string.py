from sqlalchemy import create_engine

engine = create_engine("sqlite:///app.db")
with engine.connect() as conn:
    rows = conn.execute("SELECT 1").all()
