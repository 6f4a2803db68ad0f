import os

import psycopg2
from accounts import setup

dsn = os.environ["DATABASE_URL"]
setup(dsn)
holder = psycopg2.connect(dsn)  # another session holds the row lock and does not commit
holder.cursor().execute("UPDATE kb_accounts SET balance = balance - 1 WHERE id = 1")

conn = psycopg2.connect(dsn)
cur = conn.cursor()
cur.execute("SET lock_timeout = '200ms'")
cur.execute("UPDATE kb_accounts SET balance = balance + 1 WHERE id = 1")
