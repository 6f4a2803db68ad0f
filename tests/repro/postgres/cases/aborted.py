import os

import psycopg2

conn = psycopg2.connect(os.environ["DATABASE_URL"])
cur = conn.cursor()
try:
    cur.execute("SELECT * FROM no_such_table")
except psycopg2.Error as exc:
    print("ignored:", exc)  # the error is swallowed, the transaction is not rolled back
cur.execute("SELECT 1")
