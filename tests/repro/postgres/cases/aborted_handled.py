import os

import psycopg2

conn = psycopg2.connect(os.environ["DATABASE_URL"])
cur = conn.cursor()
try:
    cur.execute("SELECT * FROM no_such_table")
except psycopg2.Error as exc:
    print("ignored:", exc)
    conn.rollback()
cur.execute("SELECT 1")
print("current transaction is fine:", cur.fetchone())
