import os

import psycopg2

conn = psycopg2.connect(os.environ["DATABASE_URL"], sslmode="disable")
admin = psycopg2.connect(os.environ["DATABASE_URL"])
admin.autocommit = True
admin.cursor().execute("SELECT pg_terminate_backend(%s)", (conn.get_backend_pid(),))
try:
    conn.cursor().execute("SELECT 1")
except psycopg2.OperationalError as exc:
    print("query failed, retrying:", exc)
# the retry reuses the same (now dead) connection object
cur = conn.cursor()
cur.execute("SELECT 1")
