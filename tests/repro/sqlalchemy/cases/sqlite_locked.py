from sqlalchemy import create_engine, text

engine = create_engine("sqlite:///app.db", connect_args={"timeout": 0.2})
with engine.begin() as conn:
    conn.execute(text("create table if not exists jobs (id integer primary key, state text)"))

writer = engine.connect()
writer.execute(text("insert into jobs (state) values ('running')"))  # transaction left open

with engine.begin() as conn:
    conn.execute(text("update jobs set state = 'done'"))
