from sqlalchemy import create_engine, text

engine = create_engine("sqlite:///app.db")
with engine.connect() as conn:
    with conn.begin() as trans:
        conn.execute(text("create table if not exists t (x int)"))
        trans.commit()
        conn.execute(text("insert into t values (1)"))
